using ImageStash.Sources;

namespace ImageStash.Tests.Sources;

public sealed class ImageFolderSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Labels_follow_sorted_class_folders_and_sizes_are_kept()
    {
        using var source = new ImageFolderSource(TestData.ImageFolder);
        var images = TestData.Collect(source, 16).Select(r => r.Header).ToList();
        Assert.Equal(40, images.Count);
        Assert.Equal(["camera", "cat", "coffee", "galaxy", "gravel", "motorcycle", "retina", "rocket", "tissue"], source.ClassNames);
        foreach (var h in images)
        {
            Assert.Equal(source.ClassNames[h.Label], h.Name!.Split('/')[0]);
            Assert.Equal(3, h.Shape.Channels);
        }
        Assert.True(images.Select(h => h.Shape).Distinct().Count() > 1, "the sample has images of several sizes");
    }

    [Fact]
    public void Resize_gives_every_image_the_asked_size()
    {
        using var source = new ImageFolderSource(TestData.ImageFolder, new SourceOptions { Resize = new ImageShape(24, 40, 3) });
        var shapes = TestData.Collect(source).Select(r => r.Header.Shape).Distinct().ToList();
        Assert.Equal([new ImageShape(24, 40, 3)], shapes);
    }

    [Fact]
    public void A_png_is_kept_as_its_bytes_and_decodes_to_the_original_pixels_with_encode_raw()
    {
        string classDir = Directory.CreateDirectory(_dir.File("a")).FullName;
        var shape = new ImageShape(9, 11, 3);
        using var batch = TestData.Batch(1, shape);
        byte[] png = TestImages.Png(batch.GetPixels(0), shape);
        File.WriteAllBytes(Path.Combine(classDir, "x.png"), png);
        using (var source = new ImageFolderSource(_dir.Path))
        {
            var kept = TestData.Collect(source).Single();
            Assert.Equal(new ImageHeader(0, shape, 0, "a/x.png") { Encoding = ImageEncoding.Png, PayloadLength = png.Length }, kept.Header);
            Assert.Equal(png, kept.Pixels);
        }
        using (var source = new ImageFolderSource(_dir.Path, new SourceOptions { Encode = EncodeAs.Raw }))
        {
            var raw = TestData.Collect(source).Single();
            Assert.Equal(new ImageHeader(0, shape, 0, "a/x.png") { PayloadLength = shape.ByteCount }, raw.Header);
            Assert.Equal(batch.GetPixels(0).ToArray(), raw.Pixels);
        }
    }

    private string FolderWithBadFiles()
    {
        string good = Directory.CreateDirectory(_dir.File("good")).FullName;
        File.Copy(Directory.GetFiles(Path.Combine(TestData.ImageFolder, "cat"))[0], Path.Combine(good, "ok.png"));
        string bad = Directory.CreateDirectory(_dir.File("bad")).FullName;
        byte[] jpeg = File.ReadAllBytes(Directory.GetFiles(TestData.ImageFolder, "*.jpg", SearchOption.AllDirectories)[0]);
        File.WriteAllBytes(Path.Combine(bad, "1-truncated.jpg"), jpeg[..(jpeg.Length / 3)]);
        File.WriteAllText(Path.Combine(bad, "2-notanimage.png"), "hello, I am text");
        return _dir.Path;
    }

    [Fact]
    public void A_corrupt_image_fails_naming_the_file()
    {
        using var source = new ImageFolderSource(FolderWithBadFiles());
        var e = Assert.Throws<InvalidDataException>(() => source.ReadBatches(8).Sum(b => b.Count));
        Assert.Contains("1-truncated.jpg", e.Message);
        Assert.EndsWith("fix or remove the file, or pass --on-error skip.", e.Message);
    }

    [Fact]
    public void Skip_mode_lists_the_bad_files_and_keeps_the_good_ones()
    {
        using var source = new ImageFolderSource(FolderWithBadFiles(), new SourceOptions { OnError = SourceErrorMode.Skip });
        Assert.Equal(1, source.ReadBatches(8).Sum(b => b.Count));
        Assert.Equal(2, source.Skipped.Count);
        Assert.Contains("1-truncated.jpg", source.Skipped[0]);
        Assert.Contains("2-notanimage.png", source.Skipped[1]);
        Assert.Contains("not an image ImageStash reads", source.Skipped[1]);
    }

    [Fact]
    public void A_png_claiming_100000_by_100000_pixels_is_refused_as_a_bomb()
    {
        string dir = Directory.CreateDirectory(_dir.File("bomb")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "huge.png"), ImageStash.Tests.Codecs.PngTests.PngHeaderClaiming(100_000, 100_000));
        using var source = new ImageFolderSource(_dir.Path);
        var e = Assert.Throws<InvalidDataException>(() => source.ReadBatches(8).Sum(b => b.Count));
        Assert.Contains("huge.png", e.Message);
        Assert.Contains("header claims 100000×100000 pixels", e.Message);
        Assert.Contains("decompression bomb", e.Message);
    }
}
