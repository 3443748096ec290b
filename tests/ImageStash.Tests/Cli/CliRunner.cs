using ImageStash.Cli;

namespace ImageStash.Tests.Cli;

/// <summary>Tests that swap the process's console run one at a time.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>Runs the imagestash CLI in-process and captures what it prints.</summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(), new StringWriter());
            Console.SetOut(o);
            Console.SetError(e);
            try { return (ImageStashApp.Run(args), o.ToString(), e.ToString()); }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}
