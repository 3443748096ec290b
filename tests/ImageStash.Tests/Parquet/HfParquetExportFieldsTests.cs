using System.Text.Json.Nodes;
using ImageStash.Lmdb;
using ImageStash.Parquet;
using ImageStash.Tests.Bench;
using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Parquet;

/// <summary>
/// <see cref="HfParquetExporter"/> writes a column per field, read back by DuckDB (not our code) and by our reader:
/// strings, integers, numbers and booleans as such; nested values, nulls and mixed kinds as JSON text.
/// </summary>
[Collection("Console")]
public sealed class HfParquetExportFieldsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Fields by id, over a store's own records: a store kind that keeps fields, written with the public contract.</summary>
    private sealed class FieldsStore(IImageStore inner, Func<long, RecordFields?> fields) : DelegatingStore(inner, inner.Format)
    {
        public override bool TryGetHeader(long id, out ImageHeader header)
        {
            bool found = base.TryGetHeader(id, out header);
            if (found) header = header with { Fields = fields(id) };
            return found;
        }

        public override ImageHeader Read(long id, Span<byte> pixels) => base.Read(id, pixels) with { Fields = fields(id) };
    }

    private static RecordFields? FieldsOf(long id) => (id % 4) switch
    {
        0 => RecordFields.Parse($$"""{"text":"caption {{id}}","n":{{id}},"score":{{id}}.5,"ok":true,"tags":["a","b"],"label":"dup"}"""),
        1 => RecordFields.Parse($$"""{"text":"c","n":-{{id}},"score":2.0,"ok":false,"mixed":1}"""),
        2 => RecordFields.Parse("""{"mixed":"x","box":{"x":1,"y":[2,3]},"nul":null,"big":1.50}"""),
        _ => null,
    };

    [Fact]
    public void Each_field_is_a_column_duckdb_reads_and_our_reader_gives_back_exactly()
    {
        string store = _dir.File("x.lmdb");
        Assert.Equal(0, CliRunner.Run("import", TestData.ImageFolder, store).Exit);
        using var lmdb = LmdbStore.Provider.Open(store, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        using var withFields = new FieldsStore(lmdb, FieldsOf);
        var files = HfParquetExporter.Export(withFields, _dir.File("out"));
        string file = Assert.Single(files);

        // DuckDB's view: a typed column per field, in the order the names first come; 'label' is the label's, so the
        // field of that name is 'label_'.
        var types = new List<(string, string)>();
        using (var connection = HfFixtures.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({HfFixtures.Q(file)}))";
            using var reader = command.ExecuteReader();
            while (reader.Read()) types.Add((reader.GetString(0), reader.GetString(1)));
        }
        Assert.Equal(["image", "label", "text", "n", "score", "ok", "tags", "label_", "mixed", "box", "nul", "big"], types.Select(t => t.Item1));
        Assert.Equal(["BIGINT", "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"], types.Skip(1).Take(5).Select(t => t.Item2));
        Assert.Equal("VARCHAR", types.Single(t => t.Item1 == "label_").Item2);
        Assert.Equal(10L, HfFixtures.Scalar<long>($"SELECT count(*) FROM read_parquet({HfFixtures.Q(file)}) WHERE text = 'c' AND score = 2.0 AND NOT ok"));
        Assert.Equal(4.5, HfFixtures.Scalar<double>($"SELECT score FROM read_parquet({HfFixtures.Q(file)}) WHERE n = 4"));
        Assert.Equal("""{"x":1,"y":[2,3]}""", HfFixtures.Scalar<string>($"SELECT CAST(box AS VARCHAR) FROM read_parquet({HfFixtures.Q(file)}) LIMIT 1 OFFSET 2"));
        Assert.Equal(10L, HfFixtures.Scalar<long>($"SELECT count(*) FROM read_parquet({HfFixtures.Q(file)}) WHERE text IS NULL AND n IS NULL AND box IS NULL"));
        string features = HfFixtures.Scalar<string>($"SELECT decode(value) FROM parquet_kv_metadata({HfFixtures.Q(file)}) WHERE decode(key) = 'huggingface'");
        var featureTypes = JsonNode.Parse(features)!["info"]!["features"]!.AsObject();
        Assert.Equal("ClassLabel", (string?)featureTypes["label"]!["_type"]);
        Assert.Equal(["string", "int64", "float64", "bool", "string"], new[] { "text", "n", "score", "ok", "tags" }.Select(c => (string?)featureTypes[c]!["dtype"]));

        // Our reader: every record's fields as they were (the 'label' field under its column's name).
        using var source = new HfParquetSource(file);
        var records = TestData.Collect(source, 16);
        Assert.Equal(lmdb.Count, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var expected = FieldsOf(i) is { } f && f.Names.Contains("label") ? RecordFields.Parse(f.Json.Replace("\"label\":", "\"label_\":")) : FieldsOf(i);
            Assert.Equal(expected, records[i].Header.Fields);
        }
    }

    [Fact]
    public void A_writer_without_a_column_for_a_field_refuses_the_row()
    {
        using var writer = new HfParquetWriter(_dir.File("a.parquet"), []);
        var e = Assert.Throws<ArgumentException>(() => writer.Write([1, 2, 3], "a.jpg", -1, RecordFields.Parse("""{"text":"x"}""")));
        Assert.StartsWith($"'{_dir.File("a.parquet")}' has no column for the field 'text'", e.Message);
    }
}
