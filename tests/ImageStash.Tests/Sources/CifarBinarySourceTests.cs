using System.Formats.Tar;
using System.IO.Compression;
using ImageStash.Sources;

namespace ImageStash.Tests.Sources;

public sealed class CifarBinarySourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Extracts the sample archive and returns the batches folder.</summary>
    private string Extract()
    {
        TarFile.ExtractToDirectory(new GZipStream(File.OpenRead(TestData.CifarTarGz), CompressionMode.Decompress), _dir.Path, overwriteFiles: true);
        return Path.Combine(_dir.Path, "cifar-10-batches-bin");
    }

    [Fact]
    public void Records_become_HWC_pixels_with_their_label_byte()
    {
        string folder = Extract();
        byte[] raw = File.ReadAllBytes(Path.Combine(folder, "data_batch_1.bin"));
        using var source = new CifarBinarySource(Path.Combine(folder, "data_batch_1.bin"));
        var images = TestData.Collect(source, 1000);
        Assert.Equal(200, images.Count);
        for (int r = 0; r < 200; r++)
        {
            var record = raw.AsSpan(r * CifarBinarySource.RecordSize, CifarBinarySource.RecordSize);
            Assert.Equal(record[0], images[r].Header.Label);
            var hwc = images[r].Pixels;
            // Pixel (y, x) channel c sits at c*1024 + y*32 + x in the record's planes.
            foreach (var (y, x) in new[] { (0, 0), (5, 17), (31, 31) })
                for (int c = 0; c < 3; c++)
                    Assert.Equal(record[1 + c * 1024 + y * 32 + x], hwc[(y * 32 + x) * 3 + c]);
        }
    }

    [Fact]
    public void The_archive_and_the_extracted_folder_give_the_same_images_in_canonical_order()
    {
        string folder = Extract();
        var fromTar = TestData.CifarRecords();
        using var source = new CifarBinarySource(folder, new SourceOptions { Split = CifarSplit.All });
        var fromFolder = source.ReadBatches(333).SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (b[i].Label, b.GetPixels(i).ToArray(), b[i].Name))).ToList();
        Assert.Equal(1200, fromTar.Count);
        Assert.Equal(1200, fromFolder.Count);
        for (int i = 0; i < 1200; i++)
        {
            Assert.Equal(fromTar[i].Label, fromFolder[i].Label);
            Assert.Equal(fromTar[i].Pixels, fromFolder[i].Item2);
        }
        Assert.Equal("data_batch_1.bin#0", fromFolder[0].Name);
        Assert.Equal("test_batch.bin#199", fromFolder[^1].Name);
        Assert.Equal(["astronaut", "cat", "coffee", "tissue", "motorcycle", "galaxy", "retina", "rocket", "camera", "gravel"], source.ClassNames);
    }

    [Theory]
    [InlineData(CifarSplit.Train, 1000)]
    [InlineData(CifarSplit.Test, 200)]
    [InlineData(CifarSplit.All, 1200)]
    public void Splits_pick_their_batches(CifarSplit split, int expected)
    {
        using var source = new CifarBinarySource(TestData.CifarTarGz, new SourceOptions { Split = split });
        Assert.Equal(expected, source.ReadBatches(256).Sum(b => b.Count));
        Assert.Equal(10, source.ClassNames.Count);
    }

    [Fact]
    public void A_limit_stops_early()
    {
        using var source = new CifarBinarySource(TestData.CifarTarGz, new SourceOptions { Limit = 37 });
        Assert.Equal(37, source.ReadBatches(10).Sum(b => b.Count));
    }

    [Fact]
    public void A_truncated_batch_file_names_the_file_record_and_offset()
    {
        string folder = Extract();
        string file = Path.Combine(folder, "data_batch_1.bin");
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..(3073 * 5 + 100)]);
        using var source = new CifarBinarySource(file);
        var e = Assert.Throws<InvalidDataException>(() => source.ReadBatches(100).Sum(b => b.Count));
        Assert.Equal($"'{file}' is truncated: record 5 at offset 15365 has 100 of 3073 bytes; the file is damaged or not CIFAR-10 binary.", e.Message);
    }

    [Fact]
    public void A_truncated_archive_says_so()
    {
        string cut = _dir.File("cut.tar.gz");
        File.WriteAllBytes(cut, File.ReadAllBytes(TestData.CifarTarGz)[..1_000_000]);
        using var source = new CifarBinarySource(cut, new SourceOptions { Split = CifarSplit.All });
        var e = Assert.Throws<InvalidDataException>(() => source.ReadBatches(100).Sum(b => b.Count));
        Assert.Contains($"'{cut}'", e.Message);
        Assert.Contains("truncated or damaged", e.Message);
    }

    [Fact]
    public void A_label_above_9_is_refused_in_strict_mode_and_kept_when_lenient()
    {
        string folder = Extract();
        string file = Path.Combine(folder, "data_batch_2.bin");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[3073 * 7] = 57;
        File.WriteAllBytes(file, bytes);
        using var strict = new CifarBinarySource(file);
        var e = Assert.Throws<InvalidDataException>(() => strict.ReadBatches(100).Sum(b => b.Count));
        Assert.Equal($"'{file}' record 7 (offset 21511): label 57 is not a CIFAR-10 class (0–9); is this CIFAR-100? Pass --lenient-labels to keep it.", e.Message);
        using var lenient = new CifarBinarySource(file, new SourceOptions { StrictLabels = false });
        Assert.Equal(57, TestData.Collect(lenient)[7].Header.Label);
    }
}
