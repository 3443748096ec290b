using System.Text;

namespace ImageStash.Cli.Internal;

/// <summary>
/// Text from stores and files (class and sample names, paths, messages quoting them) made safe for a terminal:
/// control characters — an escape sequence could retitle the window, move the cursor or hide a line — are written
/// as visible escapes (<c>\x1b</c>, <c>\u009b</c>).
/// </summary>
internal static class Printable
{
    /// <summary>A name: every control character escaped, line breaks and tabs included.</summary>
    public static string Name(string? text) => Escape(text, keepLines: false);

    /// <summary>A line the CLI wrote: control characters escaped, except its own line breaks and tabs.</summary>
    public static string Line(string? text) => Escape(text, keepLines: true);

    private static string Escape(string? text, bool keepLines)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        int i = 0;
        while (i < text.Length && !Escapes(text[i], keepLines)) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!Escapes(c, keepLines)) sb.Append(c);
            else if (c <= 0xFF) sb.Append("\\x").Append(((int)c).ToString("x2"));
            else sb.Append("\\u").Append(((int)c).ToString("x4"));
        }
        return sb.ToString();
    }

    /// <summary>C0 and C1 controls and DEL; also the bidirectional overrides, which can make a name read as another.</summary>
    private static bool Escapes(char c, bool keepLines) =>
        (c < 0x20 && !(keepLines && c is '\n' or '\t')) || c is >= '\x7f' and <= '\x9f' || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069';

    /// <summary>A writer that escapes what passes through it as <see cref="Line"/> does (for stderr, which gets no markup).</summary>
    public sealed class Writer(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (Escapes(value, keepLines: true)) inner.Write(Line(value.ToString()));
            else inner.Write(value);
        }

        public override void Write(string? value) => inner.Write(Line(value));

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => inner.WriteLine(Line(value));

        public override void Flush() => inner.Flush();
    }
}
