using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace ImageStash.Tests.Cli;

/// <summary>
/// Every help text is a snapshot under Cli/Snapshots/, so a change to one shows in review. After a deliberate
/// change, run the tests with IMAGESTASH_UPDATE_SNAPSHOTS=1 and commit the new files.
/// </summary>
public sealed partial class HelpTests
{
    private static readonly string[] CommandNames = ["import", "info", "get", "export", "verify", "convert", "shard", "order", "loader-bench", "bench"];

    public static TheoryData<string> Commands => [.. CommandNames];

    [Fact]
    public void Bare_imagestash_prints_the_command_list_and_exits_0() => AssertHelp([], "help-root");

    [Fact]
    public void Imagestash_help_prints_the_command_list_and_exits_0() => AssertHelp(["--help"], "help-root");

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_commands_help_prints_its_usage_and_exits_0(string command) => AssertHelp([command, "--help"], $"help-{command}");

    [Fact]
    public void Every_command_in_the_list_has_a_help_snapshot()
    {
        var (_, output, _) = CliRunner.Run("--help");
        string list = output[output.IndexOf("COMMANDS:", StringComparison.Ordinal)..];
        var listed = CommandLine().Matches(list).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(CommandNames.Order(), listed.Order());
    }

    private static void AssertHelp(string[] args, string snapshot)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("", error);
        Assert.Contains("USAGE:", output);
        string actual = Normalize(output);
        string file = SnapshotPath(snapshot);
        if (Environment.GetEnvironmentVariable("IMAGESTASH_UPDATE_SNAPSHOTS") == "1") File.WriteAllText(file, actual);
        Assert.True(File.Exists(file), $"no snapshot {file}; run with IMAGESTASH_UPDATE_SNAPSHOTS=1 to write it");
        Assert.Equal(File.ReadAllText(file), actual);
    }

    /// <summary>Spectre pads columns with spaces; the snapshot keeps the text, not the padding.</summary>
    private static string Normalize(string text) =>
        string.Join('\n', text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd() + "\n";

    private static string SnapshotPath(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Snapshots", name + ".txt");

    [GeneratedRegex(@"^\s{4}([a-z-]+)\s", RegexOptions.Multiline)]
    private static partial Regex CommandLine();
}
