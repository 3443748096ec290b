using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageStash.Sources;

/// <summary>
/// Hugging Face ImageFolder's <c>metadata.jsonl</c>: one JSON object per line, <c>file_name</c> relative to the folder,
/// an optional integer <c>label</c>, and every other member a field of that image. <c>imagestash export</c> writes it,
/// and importing a folder that has one reads it back (docs/formats/png-folder.md, "Export").
/// </summary>
internal static class FolderMetadata
{
    /// <summary>The file's name in the folder.</summary>
    public const string FileName = "metadata.jsonl";

    /// <summary>One line: <c>{"file_name": …, "label": …, …fields}</c>, compact, UTF-8, ending in "\n".</summary>
    /// <param name="fileName">The image's path relative to the folder, with '/' between folders.</param>
    /// <param name="label">The record's label.</param>
    /// <param name="fields">The record's fields, or null.</param>
    /// <param name="where">The record, for the message when a field is named <c>file_name</c> or <c>label</c>.</param>
    /// <exception cref="ImageStashException">A field is named <c>file_name</c> or <c>label</c>, which the line uses itself.</exception>
    public static byte[] Line(string fileName, int label, RecordFields? fields, string where)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + (fields?.Utf8.Length ?? 0));
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("file_name"u8, fileName);
            json.WriteNumber("label"u8, label);
            if (fields is not null)
            {
                if (fields.Names.FirstOrDefault(n => n is "file_name" or "label") is { } clash)
                    throw new ImageStashException($"{where} has a field named '{clash}', which {FileName} uses for the image itself; rename the field (convert through a store that keeps it) before exporting.", ImageStashError.DoesNotFit);
                using var document = JsonDocument.Parse(fields.Utf8);
                foreach (var member in document.RootElement.EnumerateObject()) member.WriteTo(json);
            }
            json.WriteEndObject();
        }
        System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads <c>FOLDER/metadata.jsonl</c> when there is one: per image path (relative to the folder, '/' between
    /// folders), its label when the line has an integer <c>label</c>, and its other members as fields (null when none).
    /// </summary>
    /// <returns>The entries, or null when the folder has no metadata.jsonl.</returns>
    /// <exception cref="ImageStashException">A line is not a JSON object with a string file_name, names a file twice,
    /// or its fields are too large; the message names the file and line.</exception>
    public static Dictionary<string, (int? Label, RecordFields? Fields)>? Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        var entries = new Dictionary<string, (int?, RecordFields?)>(StringComparer.Ordinal);
        int number = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"line {number}";
            JsonObject? obj;
            try { obj = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException e) { throw ImageStashException.BadSource(path, $"{where} is not JSON (invalid at byte {e.BytePositionInLine + 1}); each line must be one JSON object with a \"file_name\"."); }
            if (obj is null || obj["file_name"] is not JsonValue nameValue || !nameValue.TryGetValue(out string? fileName) || fileName.Length == 0)
                throw ImageStashException.BadSource(path, $"{where} has no \"file_name\" string; each line must be one JSON object naming its image relative to the folder.");
            obj.Remove("file_name");
            int? label = null;
            if (obj["label"] is JsonValue labelValue && labelValue.TryGetValue(out int l))
            {
                label = l;
                obj.Remove("label");
            }
            RecordFields? fields = null;
            if (obj.Count > 0)
            {
                byte[] utf8 = JsonSerializer.SerializeToUtf8Bytes(obj);
                if (!RecordFields.TryFromUtf8(utf8, out fields, out string? problem))
                    throw ImageStashException.BadSource(path, $"{where} ('{fileName}'): its fields must be {problem}; shorten them.");
            }
            string key = Normalise(fileName);
            if (!entries.TryAdd(key, (label, fields)))
                throw ImageStashException.BadSource(path, $"{where} names '{fileName}' again; each image takes one line.");
        }
        return entries;
    }

    /// <summary>A relative path as the metadata keys it: '/' between folders, no leading "./".</summary>
    public static string Normalise(string relative)
    {
        string p = relative.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p;
    }
}
