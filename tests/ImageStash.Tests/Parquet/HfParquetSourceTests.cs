using ImageStash.Parquet;
using ImageStash.Sources;

namespace ImageStash.Tests.Parquet;

/// <summary>Hugging Face Parquet written by DuckDB, read by <see cref="HfParquetReader"/> and <see cref="HfParquetSource"/>.</summary>
public sealed class HfParquetSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<(string Class, string File)> FolderFiles() =>
        [.. Directory.GetDirectories(TestData.ImageFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .SelectMany(c => Directory.GetFiles(Path.Combine(TestData.ImageFolder, c!)).Order(StringComparer.Ordinal).Select(f => (c!, f)))];

    [Fact]
    public void Image_bytes_labels_paths_and_class_names_come_through_exactly()
    {
        string parquet = _dir.File("train.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet);
        var files = FolderFiles();
        var classes = files.Select(f => f.Class).Distinct().ToList();

        using var source = new HfParquetSource(parquet);
        Assert.Equal(classes, source.ClassNames);
        Assert.Equal(files.Count, source.Count);
        var records = TestData.Collect(source, 16);
        Assert.Equal(files.Count, records.Count);
        for (int i = 0; i < files.Count; i++)
        {
            Assert.Equal(File.ReadAllBytes(files[i].File), records[i].Pixels);
            Assert.Equal(classes.IndexOf(files[i].Class), records[i].Header.Label);
            Assert.Equal($"{files[i].Class}/{Path.GetFileName(files[i].File)}", records[i].Header.Name);
            Assert.Equal($$"""{"text":"a photo of a {{files[i].Class}}"}""", records[i].Header.Fields?.Json); // the other column, a field
        }
        ImageSources.Register(HfParquetSources.Provider);
        using var opened = ImageSources.Open(parquet);
        Assert.IsType<HfParquetSource>(opened);
    }

    [Fact]
    public void Several_row_groups_are_read_in_order()
    {
        // DuckDB writes row groups of at least 2,048 rows: 2 tiny PNGs × 2,100 give several.
        string folder = Directory.CreateDirectory(_dir.File("tiny/a")).Parent!.FullName;
        Directory.CreateDirectory(_dir.File("tiny/b"));
        for (int c = 0; c < 2; c++)
        {
            var shape = new ImageShape(4, 5, 3);
            using var batch = TestData.Batch(1, shape, seed: c + 3);
            File.WriteAllBytes(_dir.File($"tiny/{(char)('a' + c)}/x.png"), TestImages.Png(batch.GetPixels(0), shape));
        }
        string parquet = _dir.File("groups.parquet");
        HfFixtures.WriteFolder(folder, parquet, repeat: 2100, rowGroupSize: 2048);
        using var reader = new HfParquetReader(parquet);
        Assert.True(reader.RowGroupCount >= 2, $"{reader.RowGroupCount} row groups");
        var labels = Enumerable.Range(0, reader.RowGroupCount).SelectMany(g => reader.ReadRowGroup(g).Select(r => (r.Row, r.Label))).ToList();
        Assert.Equal(Enumerable.Range(0, 4200).Select(i => ((long)i, i % 2)), labels);
    }

    [Fact]
    public void A_folder_picks_the_split_and_reads_its_files_in_order()
    {
        string data = Directory.CreateDirectory(_dir.File("ds/data")).FullName;
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "train-00000-of-00002.parquet"));
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "train-00001-of-00002.parquet"));
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "test-00000-of-00001.parquet"));
        using var train = new HfParquetSource(_dir.File("ds"));
        Assert.Equal(["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"], train.Files.Select(Path.GetFileName));
        Assert.Equal(80, train.Count);
        using var test = new HfParquetSource(_dir.File("ds"), new SourceOptions { Split = CifarSplit.Test });
        Assert.Equal(["test-00000-of-00001.parquet"], test.Files.Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_without_an_image_column_is_refused_naming_its_columns()
    {
        string parquet = _dir.File("text.parquet");
        HfFixtures.Execute($"COPY (SELECT 1::BIGINT AS label, 'x' AS text) TO {HfFixtures.Q(parquet)} (FORMAT PARQUET)");
        var e = Assert.Throws<ImageStashException>(() => new HfParquetSource(parquet));
        Assert.Contains($"'{parquet}'", e.Message);
        Assert.Contains("has no image column (a struct {bytes, path} like Hugging Face's Image feature); its columns are label, text.", e.Message);
    }

    [Fact]
    public void A_label_out_of_the_classlabel_range_names_the_row()
    {
        string parquet = _dir.File("bad-label.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet, labelOverride: 99);
        using var source = new HfParquetSource(parquet);
        var e = Assert.Throws<InvalidDataException>(() => TestData.Collect(source));
        Assert.Equal($"'{parquet}' row 0: label 99 is out of range for the 9 ClassLabel names of 'label' (0–8, or -1 for none).", e.Message);
    }

    [Fact]
    public void Bytes_that_are_not_an_image_name_the_file_and_row()
    {
        string parquet = _dir.File("junk.parquet");
        HfFixtures.Execute($$"""
            COPY (SELECT {'bytes': (CASE WHEN i = 1 THEN 'not an image' ELSE 'also not' END)::BLOB, 'path': 'x.jpg'} AS image, 0::BIGINT AS label FROM range(2) AS r(i))
            TO {{HfFixtures.Q(parquet)}} (FORMAT PARQUET)
            """);
        using var source = new HfParquetSource(parquet, new SourceOptions { OnError = SourceErrorMode.Skip });
        Assert.Empty(TestData.Collect(source));
        Assert.Equal([$"'{parquet}' row 0", $"'{parquet}' row 1"], source.Skipped.Select(s => s[..s.IndexOf(": ", StringComparison.Ordinal)]));
    }

    [Fact]
    public void A_truncated_file_is_named()
    {
        string parquet = _dir.File("whole.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet);
        string cut = _dir.File("cut.parquet");
        byte[] all = File.ReadAllBytes(parquet);
        File.WriteAllBytes(cut, all[..(all.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => new HfParquetSource(cut));
        Assert.StartsWith($"'{cut}' is not a Parquet file or is truncated: ", e.Message);
    }
}
