using ImageStash.Cli.Internal;

namespace ImageStash.Tests.Cli;

/// <summary>Long commands show a live bar on a terminal and plain lines, at most once a second, elsewhere.</summary>
public sealed class ProgressTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Without_a_terminal_progress_is_plain_lines_at_most_once_a_second()
    {
        var error = new StringWriter();
        var console = new AppConsole(CliRunner.Console(new StringWriter()), error, interactive: false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int result = console.WithProgress("import → lmdb", 1000, "images", progress =>
        {
            for (int done = 0; clock.Elapsed < TimeSpan.FromSeconds(2.5); done++)
            {
                progress.Report(Math.Min(done, 1000));
                Thread.Sleep(5);
            }
            return 7;
        });
        Assert.Equal(7, result);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 3); // one a second over 2.5 s, never one per report
        Assert.Matches(@"^import → lmdb: [\d,]+/1,000 \(\d+%\), [\d,]+ images/s, (\d+ s|\d+:\d\d|\?) left$", lines[0]);
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void On_a_terminal_import_draws_a_live_bar_with_rate_and_time_left()
    {
        // `script` runs the command on a pseudo-terminal, as a user's shell would.
        string store = _dir.File("s.lmdb");
        string command = $"dotnet '{ChildProcess.CliDll}' import synthetic:60000 '{store}'";
        var (exit, output, error) = ChildProcess.Run("script", ["-qfec", command, "/dev/null"],
            new Dictionary<string, string> { ["TERM"] = "xterm-256color", ["COLUMNS"] = "120" });
        Assert.True(exit == 0, error + output);
        Assert.Contains("\u001b[", output);            // drawn with escape sequences, redrawn in place
        Assert.Contains("images/s", output);
        Assert.Contains("100%", output);
        Assert.Contains("imported 60,000 images", output.Replace("\r\n", " ").Replace("\n", " "));
        Assert.DoesNotContain(" left", output);         // no plain progress lines on a terminal
    }
}
