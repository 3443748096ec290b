using ImageStash.Codecs;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 7: import reads regular files only (and symbolic links to them). A FIFO named 1.jpg must not hang it,
/// and a symbolic link to /dev/zero must not fill memory: each is named as skipped, or fails in one line.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImportFileTypeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Folder()
    {
        string folder = _dir.File("in/a");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "0.png"), ImageEncoder.Png(new byte[4 * 4 * 3], new ImageShape(4, 4, 3)));
        File.WriteAllBytes(_dir.File("real.png"), ImageEncoder.Png(new byte[2 * 2 * 3], new ImageShape(2, 2, 3)));
        File.CreateSymbolicLink(Path.Combine(folder, "3.png"), _dir.File("real.png")); // a link to a regular file is read
        Assert.Equal(0, ChildProcess.Run("mkfifo", [Path.Combine(folder, "1.jpg")]).Exit);
        File.CreateSymbolicLink(Path.Combine(folder, "2.jpg"), "/dev/zero");
        return folder;
    }

    private (int Exit, string Out, string Err) Import(params string[] more) =>
        ChildProcess.Run("dotnet", [ChildProcess.CliDll, "import", _dir.File("in"), _dir.File("s.lmdb"), .. more], timeoutMs: 60_000);

    [Fact]
    [Trait("Tier", "Full")]
    public void A_fifo_and_a_link_to_dev_zero_are_skipped_by_name_without_hanging()
    {
        string folder = Folder();
        var (exit, output, err) = Import("--on-error", "skip");
        Assert.Equal(0, exit);
        Assert.Contains("imported 2 images", output);
        Assert.Equal([
            $"imagestash: skipped '{Path.Combine(folder, "1.jpg")}' is a FIFO, not a regular file: import reads regular files (and symbolic links to them) only",
            $"imagestash: skipped '{Path.Combine(folder, "2.jpg")}' is a character device, not a regular file: import reads regular files (and symbolic links to them) only",
        ], err.Split('\n').Where(l => l.StartsWith("imagestash: skipped", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_skip_a_fifo_fails_in_one_line()
    {
        string folder = Folder();
        File.Delete(Path.Combine(folder, "2.jpg"));
        var (exit, _, err) = Import();
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{Path.Combine(folder, "1.jpg")}' is a FIFO, not a regular file: import reads regular files (and symbolic links to them) only; fix or remove the file, or pass --on-error skip.", ErrorLine(err));
    }

    /// <summary>The error line among stderr's (a slow run adds plain progress lines).</summary>
    private static string ErrorLine(string err) => Assert.Single(err.Split('\n'), l => l.StartsWith("imagestash: error: ", StringComparison.Ordinal)).TrimEnd();
}
