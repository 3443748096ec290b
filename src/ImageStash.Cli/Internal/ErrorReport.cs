using Spectre.Console.Cli;

namespace ImageStash.Cli.Internal;

/// <summary>Prints a failure as one line on stderr and chooses the exit code.</summary>
internal static class ErrorReport
{
    public static int Print(Exception e, bool verbose)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        bool usage = e is CommandAppException or ArgumentException or FormatException;
        string message = e switch
        {
            ImageStashException or InvalidDataException or CommandAppException or ArgumentException or FormatException => e.Message,
            UnauthorizedAccessException => $"{e.Message} Choose a path you can write to.",
            IOException => e.Message,
            OperationCanceledException => "cancelled.",
            _ => $"unexpected {e.GetType().Name}: {e.Message} (run with --verbose for the stack trace)",
        };
        Console.Error.WriteLine($"imagestash: error: {OneLine(message)}");
        if (verbose) Console.Error.WriteLine(e.ToString());
        return usage ? ImageStashApp.Usage : ImageStashApp.Failed;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
