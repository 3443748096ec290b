using ImageStash.Codecs;
using ImageStash.Sources;

namespace ImageStash.Tests;

/// <summary>A fresh folder under the temp directory, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imagestash-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            foreach (var d in new DirectoryInfo(Path).EnumerateDirectories("*", SearchOption.AllDirectories))
                d.Attributes &= ~FileAttributes.ReadOnly;
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Paths of the committed sample data and helpers to make images.</summary>
public static class TestData
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static string CifarTarGz => Path("cifar-10-sample-binary.tar.gz");

    public static string ImageFolder => Path("image-folder-sample");

    public static string ArticleH5 => Path("article-layout-100.h5");

    /// <summary>Random-ish but deterministic images with ids first, first+1, …</summary>
    public static ImageBatch Batch(int count, ImageShape shape, long firstId = 0, int seed = 1)
    {
        var rng = new Random(seed);
        var batch = new ImageBatch();
        for (int i = 0; i < count; i++)
        {
            var pixels = batch.AddUninitialized(new ImageHeader(firstId + i, shape, rng.Next(10), $"img-{firstId + i}.png"));
            rng.NextBytes(pixels);
        }
        return batch;
    }

    /// <summary>Reads a whole source into memory (a source's batch is only valid inside the loop).</summary>
    public static List<(ImageHeader Header, byte[] Pixels)> Collect(IImageSource source, int batchSize = 256)
    {
        var list = new List<(ImageHeader, byte[])>();
        foreach (var batch in source.ReadBatches(batchSize))
            for (int i = 0; i < batch.Count; i++) list.Add((batch[i], batch.GetPayload(i).ToArray()));
        return list;
    }

    /// <summary>The 1,200 sample records as (label, HWC pixels), in canonical order (data_batch_1 … 5, test).</summary>
    public static List<(int Label, byte[] Pixels)> CifarRecords()
    {
        using var source = new CifarBinarySource(CifarTarGz, new SourceOptions { Split = CifarSplit.All });
        return [.. Collect(source, 500).Select(r => (r.Header.Label, r.Pixels))];
    }
}

/// <summary>Images as files, through the product's own codecs.</summary>
public static class TestImages
{
    public static byte[] Png(ReadOnlySpan<byte> pixels, ImageShape shape) => ImageEncoder.Png(pixels, shape);

    public static byte[] Jpeg(ReadOnlySpan<byte> pixels, ImageShape shape, int quality = 90) => ImageEncoder.Jpeg(pixels, shape, quality);

    /// <summary>Decodes an image file upright with <paramref name="channels"/> channels.</summary>
    public static (ImageShape Shape, byte[] Pixels) Decode(byte[] file, int channels = 3)
    {
        var codec = ImageStash.Codecs.ImageCodecs.Detect(file) ?? throw new InvalidDataException("not an image");
        var shape = codec.ReadInfo(file).Shape.WithChannels(channels);
        var pixels = new byte[shape.ByteCount];
        ImageStash.Codecs.ImageCodecs.Decode(file, codec.Encoding, channels, pixels);
        return (shape, pixels);
    }
}
