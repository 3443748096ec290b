namespace ImageStash.Tests.Cli;

/// <summary>Shortcuts for running the CLI in a child process.</summary>
public static class CliRunnerProcess
{
    public static (int Exit, string Out, string Err) Import(string source, string store, params string[] more) =>
        ChildProcess.Cli(null, ["import", source, store, .. more]);
}
