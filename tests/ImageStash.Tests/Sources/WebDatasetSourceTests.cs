using ImageStash.Sources;

namespace ImageStash.Tests.Sources;

/// <summary>WebDataset tar sets written by Python's tarfile (TestData/webdataset/make.py), read as a source.</summary>
public sealed class WebDatasetSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Wds(string name) => TestData.Path(Path.Combine("webdataset", name));

    /// <summary>The six images make.py put in the shards, in order: the first file of each class folder.</summary>
    private static List<(int Label, string Class, byte[] Bytes)> Expected() =>
        [.. Directory.GetDirectories(TestData.ImageFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Select((c, label) => (label, c!, File.ReadAllBytes(Directory.GetFiles(Path.Combine(TestData.ImageFolder, c!)).Order(StringComparer.Ordinal).First())))
            .Take(6)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Samples_are_grouped_by_key_with_bytes_exact_and_labels_from_cls_or_json(bool folder)
    {
        string spec = folder ? WdsFolder() : TestData.Path("webdataset/wds-{000000..000001}.tar");
        Assert.True(WebDatasetSource.Recognizes(spec));
        using var source = Assert.IsType<WebDatasetSource>(ImageSources.Open(spec));
        var records = TestData.Collect(source, 4);
        var expected = Expected();
        Assert.Equal(expected.Count, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal(expected[i].Bytes, records[i].Pixels);
            Assert.Equal(expected[i].Label, records[i].Header.Label);
            Assert.Equal(i, records[i].Header.Id);
            Assert.StartsWith($"train/{i:000000}.", records[i].Header.Name);
            // .txt is the caption "text", the .json object's members follow (make.py writes label and source).
            string file = Path.GetFileName(Directory.GetFiles(Path.Combine(TestData.ImageFolder, expected[i].Class)).Order(StringComparer.Ordinal).First());
            Assert.Equal($$$"""{"text":"a photo of a {{{expected[i].Class}}}","label":{{{expected[i].Label}}},"source":"{{{expected[i].Class}}}/{{{file}}}"}""", records[i].Header.Fields?.Json);
        }
        Assert.Empty(source.Skipped);
        Assert.Empty(source.ClassNames);
    }

    /// <summary>A folder holding only the two good shards.</summary>
    private string WdsFolder()
    {
        foreach (string name in new[] { "wds-000000.tar", "wds-000001.tar" }) File.Copy(Wds(name), _dir.File(name));
        return _dir.Path;
    }

    [Fact]
    public void Brace_patterns_expand_like_webdataset()
    {
        Assert.Equal(["d-008.tar", "d-009.tar", "d-010.tar"], WebDatasetSource.Expand("d-{008..010}.tar"));
        Assert.Equal(["a-1.tar", "a-2.tar", "b-1.tar", "b-2.tar"], WebDatasetSource.Expand("{a,b}-{1..2}.tar"));
    }

    [Fact]
    public void A_sample_without_an_image_is_named_and_fails_or_is_skipped()
    {
        using (var failing = new WebDatasetSource(Wds("bad-no-image.tar")))
        {
            var e = Assert.Throws<InvalidDataException>(() => TestData.Collect(failing));
            Assert.Equal($"'{Wds("bad-no-image.tar")}' key 'train/000001' has no image (.jpg, .jpeg, .png, .webp) among its members (.cls, .txt, .json); fix or remove it, or pass --on-error skip.", e.Message);
        }
        using var skipping = new WebDatasetSource(Wds("bad-no-image.tar"), new SourceOptions { OnError = SourceErrorMode.Skip });
        var records = TestData.Collect(skipping);
        Assert.Equal(["train/000000.jpg", "train/000002.png"], records.Select(r => r.Header.Name));
        Assert.Equal([0L, 1L], records.Select(r => r.Header.Id));
        Assert.Contains("key 'train/000001' has no image", Assert.Single(skipping.Skipped));
    }

    [Fact]
    public void A_member_without_a_key_is_named()
    {
        using var source = new WebDatasetSource(Wds("bad-no-key.tar"));
        var e = Assert.Throws<InvalidDataException>(() => TestData.Collect(source));
        Assert.StartsWith($"'{Wds("bad-no-key.tar")}' member 'train/.jpg' has no key", e.Message);
    }

    [Fact]
    public void A_truncated_tar_is_named_after_the_last_good_key()
    {
        byte[] tar = File.ReadAllBytes(Wds("wds-000000.tar"));
        string cut = _dir.File("cut.tar");
        File.WriteAllBytes(cut, tar[..20_000]); // inside the second sample's image
        using var source = new WebDatasetSource(cut);
        var e = Assert.Throws<InvalidDataException>(() => TestData.Collect(source));
        Assert.StartsWith($"'{cut}' is truncated", e.Message);
        Assert.Contains("train/000001", e.Message);
    }

    [Fact]
    public void Image_bytes_that_are_not_an_image_are_named_by_key()
    {
        string tar = _dir.File("x.tar");
        using (var writer = new System.Formats.Tar.TarWriter(File.Create(tar)))
        {
            var entry = new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "a/b.jpg") { DataStream = new MemoryStream("not a jpeg"u8.ToArray()) };
            writer.WriteEntry(entry);
        }
        using var source = new WebDatasetSource(tar);
        var e = Assert.Throws<InvalidDataException>(() => TestData.Collect(source));
        Assert.StartsWith($"'{tar}' key 'a/b': not an image ImageStash reads", e.Message);
        Assert.EndsWith("; fix or remove it, or pass --on-error skip.", e.Message);
    }

    [Fact]
    public void Limit_stops_reading_early()
    {
        using var source = new WebDatasetSource(TestData.Path("webdataset/wds-{000000..000001}.tar"), new SourceOptions { Limit = 4 });
        Assert.Equal(4, TestData.Collect(source, 2).Count);
    }
}
