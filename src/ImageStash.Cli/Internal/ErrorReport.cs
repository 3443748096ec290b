using System.Reflection;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Internal;

/// <summary>Prints a failure as one line on stderr and chooses the exit code.</summary>
internal static class ErrorReport
{
    public static int Print(Exception e, bool verbose, TextWriter error)
    {
        var cause = Cause(e);
        bool usage = cause is CommandAppException or ArgumentException or FormatException or ImageStashException { Error: ImageStashError.UnknownKind or ImageStashError.ReadOnly };
        string message = cause switch
        {
            ImageStashException or InvalidDataException or CommandAppException or ArgumentException or FormatException => cause.Message,
            UnauthorizedAccessException => $"{cause.Message} Choose a path you can write to.",
            IOException => cause.Message,
            OperationCanceledException => "cancelled.",
            _ => $"unexpected {cause.GetType().Name}: {cause.Message} (run with --verbose for the stack trace)",
        };
        error.WriteLine($"imagestash: error: {Redacted(OneLine(message))}");
        if (verbose) error.WriteLine(Redacted(e.ToString()));
        return usage ? ImageStashApp.Usage : ImageStashApp.Failed;
    }

    /// <summary>
    /// The failure a user can act on: the first real cause inside the wrappers that parallel loops, reflection and
    /// type initializers put around it.
    /// </summary>
    internal static Exception Cause(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException aggregate when aggregate.Flatten().InnerExceptions.Count > 0:
                    e = aggregate.Flatten().InnerExceptions[0];
                    break;
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    break;
                case TypeInitializationException { InnerException: { } inner }:
                    e = inner;
                    break;
                default:
                    return e;
            }
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    // "scheme://KEY:SECRET@host": credentials written into an endpoint URL are never echoed, whoever quoted the URL.
    private static readonly System.Text.RegularExpressions.Regex UserInfo = new(@"(?<=\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary><paramref name="text"/> with the user information of every URL in it replaced by "***".</summary>
    internal static string Redacted(string text) => UserInfo.Replace(text, "***@");
}
