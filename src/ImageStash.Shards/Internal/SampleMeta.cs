using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ImageStash.Codecs;

namespace ImageStash.Shards.Internal;

/// <summary>
/// A sample's <c>KEY.json</c> member: {"id", "label", "name", "height", "width", "channels", "encoding", "length",
/// "fields" (when the record has any), "crc32"} (docs/formats/shards.md). Written and read with the raw JSON reader and writer: a CIFAR shard holds
/// ~18,000 of them.
/// </summary>
internal static class SampleMeta
{
    public static byte[] Write(ImageHeader header, uint crc)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("id"u8, header.Id);
            json.WriteNumber("label"u8, header.Label);
            if (header.Name is { } name) json.WriteString("name"u8, name);
            else json.WriteNull("name"u8);
            json.WriteNumber("height"u8, header.Shape.Height);
            json.WriteNumber("width"u8, header.Shape.Width);
            json.WriteNumber("channels"u8, header.Shape.Channels);
            json.WriteString("encoding"u8, ImageEncodingNames.Name(header.Encoding));
            json.WriteNumber("length"u8, header.PayloadLength);
            if (header.Fields is { } fields)
            {
                json.WritePropertyName("fields"u8);
                json.WriteRawValue(fields.Utf8.Span, skipInputValidation: true); // validated when the fields were made
            }
            // crc32 last: the Python package reads it from the member's tail without decoding the JSON.
            json.WriteString("crc32"u8, crc.ToString("x8", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="InvalidDataException">Not the JSON of a sample; <paramref name="where"/> names it.</exception>
    public static (ImageHeader Header, uint Crc) Read(ReadOnlySpan<byte> bytes, string where)
    {
        long id = -1, length = -1;
        int label = 0, height = 0, width = 0, channels = 0;
        string? name = null, encoding = null, crc = null;
        RecordFields? fields = null;
        try
        {
            var json = new Utf8JsonReader(bytes);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject) throw new JsonException("not an object");
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                string property = json.GetString()!;
                json.Read();
                switch (property)
                {
                    case "id": id = json.GetInt64(); break;
                    case "label": label = json.GetInt32(); break;
                    case "name": name = json.TokenType == JsonTokenType.Null ? null : json.GetString(); break;
                    case "height": height = json.GetInt32(); break;
                    case "width": width = json.GetInt32(); break;
                    case "channels": channels = json.GetInt32(); break;
                    case "encoding": encoding = json.GetString(); break;
                    case "length": length = json.GetInt64(); break;
                    case "crc32": crc = json.GetString(); break;
                    case "fields":
                        int start = (int)json.TokenStartIndex;
                        json.Skip();
                        if (!RecordFields.TryFromUtf8(bytes[start..(int)json.BytesConsumed], out fields, out string? problem))
                            throw new InvalidDataException($"{where}: its \"fields\" must be {problem}");
                        break;
                    default: json.Skip(); break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where} is not valid sample JSON ({e.Message})", e);
        }
        if (id < 0 || length < 0 || encoding is null || !ImageEncodingNames.TryParse(encoding, out var kind) || crc is null
            || !uint.TryParse(crc, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value)
            || height is < 1 or > ImageShape.MaxSide || width is < 1 or > ImageShape.MaxSide || channels is not (1 or 3 or 4))
            throw new InvalidDataException($"{where} lacks a field or has one out of range (id, label, height, width, channels, encoding, length, crc32)");
        var header = new ImageHeader(id, new ImageShape(height, width, channels), label, name) { Encoding = kind, PayloadLength = length, Fields = fields };
        return (header, value);
    }
}
