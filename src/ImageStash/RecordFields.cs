using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageStash;

/// <summary>
/// A record's fields: one small JSON object beside its id, label and name (a caption, tags, boxes, a source).
/// Immutable and validated when made: a JSON object, at most <see cref="MaxBytes"/> bytes of UTF-8, no name twice.
/// It is kept compact (no insignificant white space, names in their given order, non-ASCII text as UTF-8), so two
/// equal objects written the same way have the same bytes, and equality compares those bytes.
/// </summary>
public sealed class RecordFields : IEquatable<RecordFields>
{
    /// <summary>The largest a record's fields may be, in bytes of compact UTF-8 JSON: 65,535 (a 16-bit length in stores' records).</summary>
    public const int MaxBytes = ushort.MaxValue;

    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[] _utf8;
    private readonly string[] _names;

    private RecordFields(byte[] utf8, string[] names)
    {
        _utf8 = utf8;
        _names = names;
    }

    /// <summary>The JSON object as compact UTF-8: what stores write.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The names of the object's members, in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The JSON object's text, compact.</summary>
    public string Json => Encoding.UTF8.GetString(_utf8);

    /// <summary>Parses a JSON object's text.</summary>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not one JSON object, names a member twice, or is
    /// larger than <see cref="MaxBytes"/> once compact.</exception>
    public static RecordFields Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromUtf8(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads a JSON object from its UTF-8 bytes (as a store or a file holds it).</summary>
    /// <exception cref="ArgumentException">The bytes are not one JSON object, name a member twice, or are larger than
    /// <see cref="MaxBytes"/> once compact.</exception>
    public static RecordFields FromUtf8(ReadOnlySpan<byte> utf8) =>
        TryFromUtf8(utf8, out var fields, out var problem) ? fields : throw new ArgumentException($"Fields must be {problem}.", nameof(utf8));

    /// <summary>
    /// Reads a JSON object from its UTF-8 bytes, or says what is wrong with them: for importers and stores that
    /// report bad input in their own words, naming the file or record.
    /// </summary>
    /// <param name="utf8">The bytes.</param>
    /// <param name="fields">The fields, when the bytes are good.</param>
    /// <param name="problem">When they are not, what they should be, e.g. "a JSON object (got an array)".</param>
    public static bool TryFromUtf8(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RecordFields? fields,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        fields = null;
        problem = null;
        // A compact object is never larger than its input by more than escapes we undo, so a far larger input is refused unread.
        if (utf8.Length > 8 * MaxBytes) { problem = $"at most {MaxBytes:N0} bytes of JSON (got {utf8.Length:N0})"; return false; }
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read()) { problem = "a JSON object (got nothing)"; return false; }
            if (reader.TokenType != JsonTokenType.StartObject) { problem = $"a JSON object (got {Describe(reader.TokenType)})"; return false; }
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(Math.Max(16, utf8.Length));
            var names = new List<string>();
            using (var writer = new Utf8JsonWriter(buffer, s_compact))
            {
                writer.WriteStartObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    if (names.Contains(name, StringComparer.Ordinal)) { problem = $"a JSON object naming each member once ('{name}' is there twice)"; return false; }
                    names.Add(name);
                    writer.WritePropertyName(name);
                    reader.Read();
                    using var value = JsonDocument.ParseValue(ref reader);
                    value.RootElement.WriteTo(writer);
                }
                if (reader.TokenType != JsonTokenType.EndObject) { problem = "one JSON object"; return false; }
                writer.WriteEndObject();
            }
            if (reader.Read()) { problem = "one JSON object (there is more after it)"; return false; }
            if (buffer.WrittenCount > MaxBytes) { problem = $"at most {MaxBytes:N0} bytes of compact JSON (got {buffer.WrittenCount:N0})"; return false; }
            fields = new RecordFields(buffer.WrittenSpan.ToArray(), [.. names]);
            return true;
        }
        catch (JsonException e)
        {
            problem = $"a JSON object (the JSON is invalid at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
            return false;
        }
    }

    /// <summary>Makes fields from a <see cref="JsonObject"/> (e.g. one built member by member).</summary>
    /// <exception cref="ArgumentException">The object is larger than <see cref="MaxBytes"/> once compact.</exception>
    public static RecordFields FromObject(JsonObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_compact)) value.WriteTo(writer);
        return FromUtf8(buffer.WrittenSpan);
    }

    /// <summary>The fields as a mutable <see cref="JsonObject"/> (a copy: changing it changes nothing here).</summary>
    public JsonObject ToObject() => (JsonObject)JsonNode.Parse(_utf8)!;

    /// <summary>
    /// These fields with <paramref name="other"/>'s laid over them: a member of both takes <paramref name="other"/>'s
    /// value, and new members come after this one's.
    /// </summary>
    /// <exception cref="ArgumentException">The result is larger than <see cref="MaxBytes"/>.</exception>
    public RecordFields With(RecordFields other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = ToObject();
        foreach (var (name, value) in other.ToObject()) merged[name] = value?.DeepClone();
        return FromObject(merged);
    }

    /// <summary>The member <paramref name="name"/> when it is a JSON string, else null: a caption, a text.</summary>
    public string? GetString(string name)
    {
        if (Array.IndexOf(_names, name) < 0) return null;
        using var doc = JsonDocument.Parse(_utf8);
        return doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <inheritdoc />
    public bool Equals(RecordFields? other) => other is not null && _utf8.AsSpan().SequenceEqual(other._utf8);

    /// <summary>Whether two fields hold the same compact JSON (both null counts as equal).</summary>
    public static bool operator ==(RecordFields? left, RecordFields? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Whether two fields differ.</summary>
    public static bool operator !=(RecordFields? left, RecordFields? right) => !(left == right);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RecordFields other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_utf8);
        return hash.ToHashCode();
    }

    /// <summary>The JSON object's compact text (<see cref="Json"/>).</summary>
    public override string ToString() => Json;

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true or false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
