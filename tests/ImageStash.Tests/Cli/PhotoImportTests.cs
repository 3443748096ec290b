using System.Security.Cryptography;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Cli;

/// <summary>Importing a folder of photos keeps every file's bytes: get, export and convert give back the same files.</summary>
public sealed class PhotoImportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static Dictionary<string, string> SourceFiles() =>
        Directory.GetFiles(TestData.Path("photos"), "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(TestData.Path("photos"), f), f => Sha(File.ReadAllBytes(f)));

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void Kept_bytes_are_bit_exact_through_import_get_export_and_convert(string kind)
    {
        var source = SourceFiles();
        string store = StoreKinds.PathFor(kind, _dir.Path);
        var (exit, output, err) = CliRunner.Run("import", TestData.Path("photos"), store);
        Assert.True(exit == 0, err);
        Assert.Contains($"imported {source.Count} images", output);
        long sourceBytes = Directory.GetFiles(TestData.Path("photos"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        // No decoding to pixels (4×): the files' bytes plus a store's fixed costs, which weigh on 21 photos (an HDF5 store
        // allocates /payload in 1 MiB chunks); on the 5,000-photo bench corpus every store is within 5 %.
        Assert.True(DiskUsage.Of(store).Apparent <= sourceBytes * 1.4, $"{kind}: {DiskUsage.Of(store).Apparent:N0} bytes on disk for {sourceBytes:N0} of files");

        using (var reader = StoreKinds.Registry.OpenRead(store))
            foreach (long id in reader.EnumerateIds())
            {
                Assert.True(reader.TryGetHeader(id, out var header));
                string got = _dir.File($"got-{id}.jpg");
                Assert.Equal(0, CliRunner.Run("get", store, $"{id}", "-o", got).Exit);
                Assert.Equal(source[header.Name!], Sha(File.ReadAllBytes(got)));
            }

        string exported = _dir.File("exported");
        Assert.Equal(0, CliRunner.Run("export", store, exported).Exit);
        var exportedShas = Directory.GetFiles(exported, "*.jpg", SearchOption.AllDirectories).Select(f => Sha(File.ReadAllBytes(f))).Order().ToList();
        Assert.Equal(source.Values.Order(), exportedShas);

        foreach (string other in StoreKinds.Names.Where(k => k != kind))
        {
            string copy = StoreKinds.PathFor(other, _dir.Path, $"copy-{other}");
            (exit, _, err) = CliRunner.Run("convert", store, copy);
            Assert.True(exit == 0, err);
            using var reader = StoreKinds.Registry.OpenRead(copy);
            foreach (long id in reader.EnumerateIds())
            {
                Assert.True(reader.TryGetHeader(id, out var header));
                var bytes = new byte[header.PayloadLength];
                reader.Read(id, bytes);
                Assert.Equal(ImageEncoding.Jpeg, header.Encoding);
                Assert.Equal(source[header.Name!], Sha(bytes));
            }
        }
    }

    [Fact]
    public void Every_oddity_is_stored_and_decodes_right_or_is_refused_with_its_name()
    {
        string folder = _dir.File("odd");
        foreach (string file in Directory.GetFiles(TestData.Path("photo-oddities")))
        {
            Directory.CreateDirectory(Path.Combine(folder, "x"));
            File.Copy(file, Path.Combine(folder, "x", Path.GetFileName(file)));
        }
        string store = _dir.File("odd.lmdb");
        var (exit, output, err) = CliRunner.Run("import", folder, store);
        Assert.Equal(1, exit);
        Assert.Contains("not-an-image.jpg': not an image ImageStash reads", err); // files go in name order: the first bad one
        (exit, output, err) = CliRunner.Run("import", folder, store, "--on-error", "skip");
        Assert.Equal(0, exit);
        Assert.Contains("imported 7 images", output);
        Assert.Contains("skipped 2 unreadable input(s)", output);
        Assert.Contains("not-an-image.jpg': not an image ImageStash reads (Jpeg, Png, WebP); it is another kind of file or damaged", err);
        Assert.Contains("truncated.jpg': cannot decode JPEG (Premature end of JPEG file); the file is damaged or truncated", err);
        using var reader = StoreKinds.Registry.OpenRead(store);
        var shapes = reader.EnumerateIds().Select(id => reader.TryGetHeader(id, out var h) ? h : default).ToDictionary(h => h.Name!, h => (h.Shape, h.Encoding));
        Assert.Equal((new ImageShape(213, 320, 3), ImageEncoding.Jpeg), shapes["x/cmyk.jpg"]);
        Assert.Equal((new ImageShape(320, 213, 3), ImageEncoding.Jpeg), shapes["x/exif-orientation-6.jpg"]); // upright: portrait
        Assert.Equal((new ImageShape(213, 320, 1), ImageEncoding.Png), shapes["x/grey-16bit.png"]);
        Assert.Equal((new ImageShape(213, 320, 4), ImageEncoding.Png), shapes["x/palette.png"]); // index 0 is transparent
        Assert.Equal((new ImageShape(213, 320, 4), ImageEncoding.Png), shapes["x/rgba.png"]);
        Assert.Equal((new ImageShape(213, 320, 3), ImageEncoding.WebP), shapes["x/webp.webp"]);
        Assert.Equal((new ImageShape(213, 320, 3), ImageEncoding.Jpeg), shapes["x/progressive.jpg"]);
        Assert.Equal(0, CliRunner.Run("verify", store, "--deep").Exit);
    }

    [Fact]
    public void Encode_and_max_side_re_encode_or_shrink_keeping_the_aspect_ratio()
    {
        string raw = _dir.File("raw.h5"), small = _dir.File("small.lmdb"), png = _dir.File("png");
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("photos"), raw, "--encode", "raw").Exit);
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("photos"), small, "--max-side", "100", "--encode", "jpeg:75").Exit);
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("photos"), png, "--max-side", "64", "--encode", "png").Exit);
        using var rawStore = StoreKinds.Registry.OpenRead(raw);
        using var smallStore = StoreKinds.Registry.OpenRead(small);
        using var pngStore = StoreKinds.Registry.OpenRead(png);
        foreach (long id in rawStore.EnumerateIds())
        {
            Assert.True(rawStore.TryGetHeader(id, out var full));
            Assert.True(smallStore.TryGetHeader(id, out var shrunk));
            Assert.True(pngStore.TryGetHeader(id, out var tiny));
            Assert.Equal((ImageEncoding.Raw, 3), (full.Encoding, full.Shape.Channels)); // grey photos become RGB when decoded
            Assert.Equal(ImageEncoding.Jpeg, shrunk.Encoding);
            Assert.Equal(ImageEncoding.Png, tiny.Encoding);
            Assert.Equal(100, Math.Max(shrunk.Shape.Width, shrunk.Shape.Height));
            Assert.Equal(64, Math.Max(tiny.Shape.Width, tiny.Shape.Height));
            double aspect = (double)full.Shape.Width / full.Shape.Height;
            Assert.InRange((double)shrunk.Shape.Width / shrunk.Shape.Height, aspect * 0.97, aspect / 0.97);
            var bytes = new byte[shrunk.PayloadLength];
            smallStore.Read(id, bytes);
            Assert.Equal(shrunk.Shape, TestImages.Decode(bytes).Shape);
        }
        Assert.True(DiskUsage.Of(small).Apparent < DiskUsage.Of(raw).Apparent / 10);
    }

    [Theory]
    [InlineData("webp")]
    [InlineData("jpeg:0")]
    [InlineData("jpeg:101")]
    [InlineData("raw:5")]
    public void A_bad_encode_value_is_a_usage_error(string value)
    {
        var (exit, _, err) = CliRunner.Run("import", TestData.Path("photos"), _dir.File("s.lmdb"), "--encode", value);
        Assert.Equal(2, exit);
        Assert.StartsWith("imagestash: error: --encode takes keep, raw, png or jpeg[:QUALITY]", err);
        Assert.False(Directory.Exists(_dir.File("s.lmdb")));
    }
}
