using System.Diagnostics;
using Spectre.Console;

namespace ImageStash.Cli.Internal;

/// <summary>
/// The tool's two outputs, injected into every command so tests can run commands in parallel: results go to
/// <see cref="Out"/> (through Spectre.Console), errors, skipped inputs and plain progress lines to <see cref="Error"/>.
/// </summary>
internal sealed class AppConsole(IAnsiConsole output, TextWriter error, bool interactive)
{
    /// <summary>Results: lines, tables, live progress bars.</summary>
    public IAnsiConsole Out { get; } = output;

    /// <summary>Errors and plain progress lines, control characters escaped (<see cref="Printable"/>).</summary>
    public TextWriter Error { get; } = new Printable.Writer(error);

    /// <summary>Whether progress is drawn as a live bar (a terminal on both outputs) rather than as plain lines.</summary>
    public bool Interactive { get; } = interactive;

    /// <summary>The process's own stdout and stderr.</summary>
    public static AppConsole ForProcess()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        bool terminal = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        // Redirected output (a log, a pipe) is read by programs: no wrapping at an imagined 80 columns.
        if (Console.IsOutputRedirected) console.Profile.Width = 10_000;
        return new AppConsole(console, Console.Error, terminal && console.Profile.Capabilities.Interactive);
    }

    /// <summary>Writes one line of plain text (never read as markup), control characters escaped (<see cref="Printable"/>).</summary>
    public void WriteLine(string line) => Out.WriteLine(Printable.Line(line));

    /// <summary>
    /// Runs long work that reports how many items are done: with a live bar (rate and time left) on a terminal, or
    /// plain lines on <see cref="Error"/> at most once a second elsewhere.
    /// </summary>
    public T WithProgress<T>(string label, long? total, string unit, Func<IProgress<long>, T> work)
    {
        if (Interactive)
            return Bar(label, total, unit, task => work(new Callback<long>(n => task.Value = Math.Min(n, task.MaxValue))));
        var lines = new PlainLines(this, label, unit) { Total = total };
        return work(new Callback<long>(lines.Report));
    }

    /// <summary>Like <see cref="WithProgress{T}"/> for work that names its current step and counts steps.</summary>
    public T WithSteps<T>(string label, Func<IProgress<(long Done, long Total, string Step)>, T> work)
    {
        if (Interactive)
            return Bar(label, null, "steps", task => work(new Callback<(long Done, long Total, string Step)>(p =>
            {
                task.IsIndeterminate = false;
                task.MaxValue = Math.Max(1, p.Total);
                task.Value = p.Done;
                task.Description = $"{label}: {Markup.Escape(p.Step)}";
            })));
        var lines = new PlainLines(this, label, "steps");
        return work(new Callback<(long Done, long Total, string Step)>(p =>
        {
            lines.Total = p.Total;
            lines.Step = p.Step;
            lines.Report(p.Done);
        }));
    }

    private T Bar<T>(string label, long? total, string unit, Func<ProgressTask, T> work) =>
        Out.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(unit),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total ?? 1));
                task.IsIndeterminate = total is null;
                var result = work(task);
                task.Value = task.MaxValue;
                return result;
            });

    /// <summary>"label: 12,000/50,000 (24%), 8,100 images/s, 5 s left", at most once a second.</summary>
    private sealed class PlainLines(AppConsole console, string label, string unit)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last;

        public long? Total { get; set; }

        public string? Step { get; set; }

        public void Report(long done)
        {
            var now = _clock.Elapsed;
            if (now - _last < TimeSpan.FromSeconds(1)) return;
            _last = now;
            double rate = done / Math.Max(now.TotalSeconds, 1e-9);
            string count = Total is { } t && t > 0
                ? $"{done:N0}/{t:N0} ({100.0 * done / t:F0}%), {rate:N0} {unit}/s, {Left(t - done, rate)} left"
                : $"{done:N0}, {rate:N0} {unit}/s";
            console.Error.WriteLine(Step is null ? $"{label}: {count}" : $"{label} [{Step}]: {count}");
        }

        private static string Left(long remaining, double rate) =>
            rate <= 0 ? "?" : TimeSpan.FromSeconds(Math.Ceiling(remaining / rate)) is var t && t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : t.TotalMinutes >= 1 ? $"{t:m\\:ss}" : $"{t.TotalSeconds:F0} s";
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool and can print late).</summary>
    private sealed class Callback<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
