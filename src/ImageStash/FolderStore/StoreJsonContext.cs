using System.Text.Json.Serialization;

namespace ImageStash.FolderStore;

/// <summary>The PNG folder store's <c>imagestash.json</c>.</summary>
internal sealed class PngFolderMarker
{
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; }
    [JsonPropertyName("class_names")] public List<string>? ClassNames { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PngFolderMarker))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
