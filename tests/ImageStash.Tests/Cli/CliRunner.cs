using ImageStash.Cli;
using ImageStash.Cli.Internal;
using Spectre.Console;

namespace ImageStash.Tests.Cli;

/// <summary>Tests that change process-wide state (environment variables, the working folder) run one at a time.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>Runs the imagestash CLI in-process with its own console and captures what it prints (safe in parallel).</summary>
public static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int exit = ImageStashApp.Run(args, new AppConsole(Console(output), error, interactive: false));
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A plain console writing to <paramref name="writer"/>: no colours, no cursor moves, no wrapping.</summary>
    internal static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 10_000;
        return console;
    }
}
