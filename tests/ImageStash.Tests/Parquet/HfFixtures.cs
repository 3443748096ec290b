using System.Text.Json.Nodes;
using DuckDB.NET.Data;

namespace ImageStash.Tests.Parquet;

/// <summary>
/// Hugging Face image datasets in Parquet written by DuckDB (its own native engine, not our code), in exactly the Hub's
/// layout: an <c>image</c> struct {bytes, path}, an int64 <c>label</c>, a <c>text</c> column, and the features in the
/// <c>huggingface</c> key of the schema metadata. Also reads our exports back with DuckDB.
/// </summary>
internal static class HfFixtures
{
    public static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        return connection;
    }

    public static void Execute(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>The metadata HF writes: Image, ClassLabel with <paramref name="classes"/>, a string Value.</summary>
    public static string Features(IReadOnlyList<string> classes) => new JsonObject
    {
        ["info"] = new JsonObject
        {
            ["features"] = new JsonObject
            {
                ["image"] = new JsonObject { ["_type"] = "Image" },
                ["label"] = new JsonObject { ["names"] = new JsonArray([.. classes.Select(c => (JsonNode)JsonValue.Create(c))]), ["_type"] = "ClassLabel" },
                ["text"] = new JsonObject { ["dtype"] = "string", ["_type"] = "Value" },
            },
        },
    }.ToJsonString();

    /// <summary>
    /// Writes every image of an image folder (class folders, files in ordinal order) as one row, repeated
    /// <paramref name="repeat"/> times, as HF's layout; the label is the class folder's index.
    /// </summary>
    /// <param name="extraColumns">More columns after <c>text</c>, as DuckDB select items (<c>", 1 AS one"</c>).</param>
    public static void WriteFolder(string folder, string parquet, int repeat = 1, int? labelOverride = null, int rowGroupSize = 122_880, string extraColumns = "")
    {
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string classList = "[" + string.Join(", ", classes.Select(c => Quote(c!))) + "]";
        string label = labelOverride is { } l ? l.ToString() : $"list_position({classList}, split_part(filename, '/', -2)) - 1";
        Execute($"""
            COPY (
              SELECT {"{"}'bytes': content, 'path': split_part(filename, '/', -2) || '/' || split_part(filename, '/', -1){"}"} AS image,
                     CAST({label} AS BIGINT) AS label,
                     'a photo of a ' || split_part(filename, '/', -2) AS text{extraColumns}
              FROM read_blob({Quote(Path.Combine(folder, "*", "*"))}), range({repeat}) AS r(i)
              ORDER BY i, filename
            ) TO {Quote(parquet)} (FORMAT PARQUET, ROW_GROUP_SIZE {rowGroupSize}, KV_METADATA {"{"}huggingface: {Quote(Features(classes!))}{"}"});
            """);
    }

    /// <summary>The rows of a Parquet file as DuckDB reads them: image bytes, image path, label.</summary>
    public static List<(byte[] Bytes, string? Path, long Label)> ReadRows(string parquet)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT image.bytes, image.path, label FROM read_parquet({Quote(parquet)}) ";
        using var reader = command.ExecuteReader();
        var rows = new List<(byte[], string?, long)>();
        while (reader.Read())
        {
            using var stream = reader.GetStream(0);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            rows.Add((copy.ToArray(), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
        }
        return rows;
    }

    /// <summary>A scalar from DuckDB.</summary>
    public static T Scalar<T>(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T));
    }

    public static string Q(string s) => Quote(s);
}
