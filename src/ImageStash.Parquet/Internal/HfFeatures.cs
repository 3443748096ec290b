using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageStash.Parquet.Internal;

/// <summary>
/// The Hugging Face <c>datasets</c> features kept in a Parquet file's key-value metadata under <c>huggingface</c>:
/// <c>{"info": {"features": {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": [...]}}}}</c>.
/// </summary>
internal static class HfFeatures
{
    public const string MetadataKey = "huggingface";

    /// <summary>The features by column name (empty when the file has none or they are not JSON).</summary>
    public static Dictionary<string, JsonObject> Read(IReadOnlyDictionary<string, string> metadata)
    {
        var features = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (!metadata.TryGetValue(MetadataKey, out string? json)) return features;
        try
        {
            if (JsonNode.Parse(json)?["info"]?["features"] is JsonObject all)
                foreach (var (name, value) in all)
                    if (value is JsonObject feature) features[name] = feature;
        }
        catch (JsonException) { /* a file without readable features: columns are found by name */ }
        return features;
    }

    public static string? Type(JsonObject feature) => feature["_type"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>A ClassLabel's names.</summary>
    public static List<string> Names(JsonObject feature) =>
        feature["names"] is JsonArray names ? [.. names.Select(n => n?.GetValue<string>() ?? "")] : [];

    /// <summary>The metadata that makes <c>datasets</c> load the image struct as images and the label with its names.</summary>
    public static string Write(string imageColumn, string labelColumn, IReadOnlyList<string> classNames, IReadOnlyList<HfFieldColumn> fields)
    {
        var features = new JsonObject { [imageColumn] = new JsonObject { ["_type"] = "Image" } };
        features[labelColumn] = classNames.Count > 0
            ? new JsonObject { ["names"] = new JsonArray([.. classNames.Select(n => (JsonNode)JsonValue.Create(n))]), ["_type"] = "ClassLabel" }
            : new JsonObject { ["dtype"] = "int64", ["_type"] = "Value" };
        // A JSON column is a string to datasets (Parquet's JSON logical type is read as text there).
        foreach (var field in fields)
            features[field.Column] = new JsonObject
            {
                ["dtype"] = field.Kind switch { HfFieldKind.Int64 => "int64", HfFieldKind.Double => "float64", HfFieldKind.Boolean => "bool", _ => "string" },
                ["_type"] = "Value",
            };
        return new JsonObject { ["info"] = new JsonObject { ["features"] = features } }.ToJsonString();
    }
}
