using ImageStash.Lmdb;
using ImageStash.Parquet;
using ImageStash.Tools;
using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Parquet;

/// <summary>HF (written by DuckDB) → store → HF (written by us, read back by DuckDB): bytes, labels, names and class names exact.</summary>
[Collection("Console")]
public sealed class HfParquetRoundTripTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hf_to_lmdb_to_hf_keeps_bytes_labels_paths_and_class_names()
    {
        string parquet = _dir.File("in.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet);
        var original = HfFixtures.ReadRows(parquet);

        string store = _dir.File("x.lmdb");
        var (exit, output, err) = CliRunner.Run("import", parquet, store);
        Assert.True(exit == 0, err);
        Assert.Contains($"imported {original.Count} images from Hugging Face Parquet", output);

        using (var lmdb = LmdbStore.Provider.Open(store, new StoreOptions { Mode = StoreOpenMode.ReadOnly }))
        {
            var files = HfParquetExporter.Export(lmdb, _dir.File("out"), new HfExportOptions { RowGroupRows = 16, MaxFileBytes = 1_000_000 });
            Assert.True(files.Count >= 2, $"{files.Count} files");
            Assert.Equal(files.Select((_, i) => $"train-{i:D5}-of-{files.Count:D5}.parquet"), files.Select(Path.GetFileName));
            var back = files.SelectMany(HfFixtures.ReadRows).ToList();
            Assert.Equal(original.Count, back.Count);
            for (int i = 0; i < original.Count; i++)
            {
                Assert.Equal(original[i].Bytes, back[i].Bytes);
                Assert.Equal(original[i].Path, back[i].Path);
                Assert.Equal(original[i].Label, back[i].Label);
            }
            // 16 rows per row group, and the ClassLabel names where datasets looks for them; the caption, kept as a field by LMDB, as a column.
            Assert.Equal(16L, HfFixtures.Scalar<long>($"SELECT max(row_group_num_rows) FROM parquet_metadata({HfFixtures.Q(files[0])})"));
            string features = HfFixtures.Scalar<string>($"SELECT decode(value) FROM parquet_kv_metadata({HfFixtures.Q(files[0])}) WHERE decode(key) = 'huggingface'");
            Assert.Equal("""{"info":{"features":{"image":{"_type":"Image"},"label":{"names":["camera","cat","coffee","galaxy","gravel","motorcycle","retina","rocket","tissue"],"_type":"ClassLabel"},"text":{"dtype":"string","_type":"Value"}}}}""", features);
            using var reader = new HfParquetReader(files[0]);
            Assert.Equal(lmdb.ClassNames, reader.ClassNames);
        }
    }

    /// <summary>DuckDB's view of a file: each column's name and type.</summary>
    private static List<(string Name, string Type)> Columns(string file)
    {
        using var connection = HfFixtures.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({HfFixtures.Q(file)}))";
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read()) columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    /// <summary>
    /// HF (DuckDB: image, ClassLabel, a caption, an integer, a number, a boolean, some nulls) → LMDB → HF: DuckDB finds
    /// the same columns of the same types and the same rows, and the ClassLabel names.
    /// </summary>
    [Fact]
    public void Hf_with_fields_to_lmdb_to_hf_gives_the_same_rows_and_columns()
    {
        string parquet = _dir.File("in.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet, repeat: 3, extraColumns: """
            , CAST(i * 100 + length(filename) AS BIGINT) AS n,
              CASE WHEN i = 1 THEN NULL ELSE CAST(length(filename) AS DOUBLE) / 8 END AS score,
              length(filename) % 2 = 0 AS even
            """);
        string store = _dir.File("x.lmdb");
        var import = CliRunner.Run("import", parquet, store);
        Assert.True(import.Exit == 0, import.Err);
        var convert = CliRunner.Run("convert", store, _dir.File("out"), "--format", "hf");
        Assert.True(convert.Exit == 0, convert.Err);
        string back = _dir.File("out/data/train-00000-of-00001.parquet");

        string features = $"SELECT json_extract(decode(value), '$.info.features.label') FROM parquet_kv_metadata({{0}}) WHERE decode(key) = 'huggingface'";
        Assert.Equal(HfFixtures.Scalar<string>(string.Format(features, HfFixtures.Q(parquet))), HfFixtures.Scalar<string>(string.Format(features, HfFixtures.Q(back))));
        const string columns = "* EXCLUDE (file_row_number)";
        Assert.Equal(Columns(parquet), Columns(back));
        // Same rows in the same order: the row number joins the two, and every column must match.
        long differing = HfFixtures.Scalar<long>($"""
            SELECT count(*) FROM
              (SELECT file_row_number AS r, {columns} FROM read_parquet({HfFixtures.Q(parquet)}, file_row_number = true)) a
              FULL JOIN (SELECT file_row_number AS r, {columns} FROM read_parquet({HfFixtures.Q(back)}, file_row_number = true)) b USING (r)
            WHERE a IS DISTINCT FROM b
            """);
        Assert.Equal(0L, differing);
        Assert.Equal(120L, HfFixtures.Scalar<long>($"SELECT count(*) FROM read_parquet({HfFixtures.Q(back)})"));
    }

    [Fact]
    public void Convert_format_hf_writes_the_data_folder_that_import_reads_back()
    {
        string store = _dir.File("x.lmdb");
        Assert.Equal(0, CliRunner.Run("import", TestData.ImageFolder, store).Exit);
        var (exit, output, err) = CliRunner.Run("convert", store, _dir.File("hf"), "--format", "hf");
        Assert.True(exit == 0, err);
        Assert.Contains("to 1 Hugging Face Parquet file(s)", output);
        Assert.True(File.Exists(_dir.File("hf/data/train-00000-of-00001.parquet")));
        var again = CliRunner.Run("import", _dir.File("hf"), _dir.File("y.lmdb"));
        Assert.True(again.Exit == 0, again.Err);
        using var a = LmdbStore.Provider.Open(store, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        using var b = LmdbStore.Provider.Open(_dir.File("y.lmdb"), new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        Assert.Null(StoreConverter.FindDifference(a, b));
    }

    [Fact]
    public void A_label_out_of_range_fails_the_import_in_one_line_and_keeps_the_store()
    {
        string store = _dir.File("x.lmdb");
        string good = _dir.File("good.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, good);
        Assert.Equal(0, CliRunner.Run("import", good, store).Exit);
        string parquet = _dir.File("bad.parquet");
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet, labelOverride: 99);
        var (exit, _, err) = CliRunner.Run("import", parquet, store);
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{parquet}' row 0: label 99 is out of range for the 9 ClassLabel names of 'label' (0–8, or -1 for none).", err.Trim());
        Assert.Contains("images:   40", CliRunner.Run("info", store).Out);
    }
}
