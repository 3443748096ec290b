using ImageStash.Cli.Internal;
using ImageStash.Codecs;
using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 7: names from a store or a file system reach the terminal with their control characters escaped
/// (an escape sequence in a class name could retitle the window, clear the screen or hide a line), and credentials
/// written into an endpoint URL are never echoed.
/// </summary>
public sealed class TerminalOutputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string EvilClass = "\u001b]0;pwned\u0007cat", EvilFile = "\u001b[2J\u009b31mx\u202e.png";

    [Fact]
    public void Info_and_get_escape_control_characters_in_class_and_sample_names()
    {
        string folder = _dir.File(Path.Combine("in", EvilClass));
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, EvilFile), ImageEncoder.Png(new byte[4 * 4 * 3], new ImageShape(4, 4, 3)));
        string store = _dir.File("s.lmdb");
        var import = CliRunner.Run("import", _dir.File("in"), store);
        Assert.Equal(0, import.Exit);

        var info = CliRunner.Run("info", store);
        Assert.Equal(0, info.Exit);
        Assert.DoesNotContain(info.Out, IsControl);
        Assert.Contains(@"classes:  \x1b]0;pwned\x07cat", info.Out);
        Assert.Contains(@"\x1b]0;pwned\x07cat", info.Out[info.Out.IndexOf("labels:", StringComparison.Ordinal)..]);

        var get = CliRunner.Run("get", store, "0", "-o", _dir.File("0.png"));
        Assert.Equal(0, get.Exit);
        Assert.DoesNotContain(get.Out, IsControl);
        Assert.Contains(@"(\x1b]0;pwned\x07cat), from \x1b]0;pwned\x07cat/\x1b[2J\x9b31mx\u202e.png", get.Out);

        var missing = CliRunner.Run("info", _dir.File("\u001b[31mred.lmdb"));
        Assert.Equal(1, missing.Exit);
        Assert.DoesNotContain(missing.Err, IsControl);
        Assert.Contains(@"\x1b[31mred.lmdb", missing.Err);
    }

    private static bool IsControl(char c) => c != '\n' && (char.IsControl(c) || c is '\u202e');

    [Fact]
    public void Names_escape_every_control_character_and_lines_keep_their_breaks()
    {
        Assert.Equal(@"a\x1b[0mb\x0ac\x09\u202e", Printable.Name("a\u001b[0mb\nc\t\u202e"));
        Assert.Equal("a\\x1bb\nc\td\\x7f", Printable.Line("a\u001bb\nc\td\u007f"));
        Assert.Equal("plain ünïcode ✓", Printable.Name("plain ünïcode ✓"));
    }

    [Fact]
    [Trait("Tier", "Full")] // several S3 retries against a closed port: ~8 s, too slow for the quick tier
    public void Credentials_in_an_endpoint_url_are_never_echoed()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        int port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        foreach (string[] more in new[] { Array.Empty<string>(), ["--verbose"] })
        {
            var (exit, output, err) = CliRunner.Run(["info", "s3://some-bucket/set", "--endpoint", $"http://AKIAEXAMPLEKEY:s3cr%2Ft@127.0.0.1:{port}", .. more]);
            Assert.Equal(1, exit);
            Assert.DoesNotContain("s3cr", output + err);
            Assert.DoesNotContain("AKIAEXAMPLEKEY", output + err);
            Assert.StartsWith($"imagestash: error: s3://some-bucket/set (reading index.json): cannot reach the S3 server at http://127.0.0.1:{port}", err);
        }
        Assert.Equal("GET http://***@h:9000/b and s3://***@x failed", ErrorReport.Redacted("GET http://key:secret@h:9000/b and s3://k@x failed"));
    }
}
