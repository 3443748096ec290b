using Spectre.Console;

namespace ImageStash.Cli.Internal;

/// <summary>
/// Runs long work with a progress bar on a terminal, or plain "label: n/total" lines on stderr when output is
/// redirected (logs, CI), at most one every two seconds.
/// </summary>
internal static class Progress
{
    /// <summary>Whether progress can be drawn as a live bar (a terminal on both outputs).</summary>
    public static bool Interactive =>
        AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected && !Console.IsOutputRedirected;

    public static T Run<T>(string label, long? total, Func<IProgress<long>, T> work)
    {
        if (Interactive)
        {
            return AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: total ?? 1);
                    task.IsIndeterminate = total is null;
                    var result = work(new Progress<long>(n => task.Value = total is null ? 0 : n));
                    task.Value = task.MaxValue;
                    return result;
                });
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        return work(new SyncProgress<long>(n =>
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(2)) return;
            last = clock.Elapsed;
            Console.Error.WriteLine(total is null ? $"{label}: {n:N0}" : $"{label}: {n:N0}/{total:N0} ({100.0 * n / Math.Max(1, total.Value):F0}%)");
        }));
    }
}
