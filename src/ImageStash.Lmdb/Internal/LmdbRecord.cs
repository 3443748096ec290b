using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ImageStash.Lmdb.Internal;

/// <summary>
/// The key and value layout of one image (docs/formats/lmdb.md). Key: the id as 8 bytes big-endian, so keys sort
/// by id. Value: a 24-byte little-endian header, the UTF-8 name, the fields' JSON (version 3), then the payload (raw
/// HWC pixels or an encoded file). A record with fields is version 3; one without is written as version 2, byte for
/// byte as before fields, so stores without fields stay readable by older readers. Version 1 (before encoded images)
/// checksummed decoded pixels, and its PNG records are still read.
/// </summary>
internal static class LmdbRecord
{
    public const byte Version = 2;
    public const byte FieldsVersion = 3;
    private const byte FirstVersion = 1;
    public const int HeaderSize = 24;
    public const int KeySize = 8;
    // A version byte past ours but this small is a newer writer's record; anything larger is damage.
    private const byte NewestPlausibleVersion = 16;

    // Header fields (struct "<BBBxIIiIHxx" in Python):
    // 0 version u8 | 1 encoding u8 | 2 channels u8 | 3 reserved | 4 height u32 | 8 width u32 | 12 label i32
    // 16 crc32 of the payload u32 | 20 name length u16 | 22 fields length u16 (version 3; 0 before)

    public static void WriteKey(Span<byte> key, long id) => BinaryPrimitives.WriteInt64BigEndian(key, id);

    public static long ReadKey(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key);

    public static int NameLength(string? name) => name is null ? 0 : Math.Min(Encoding.UTF8.GetByteCount(name), ushort.MaxValue);

    /// <summary>The bytes a record's header, name and fields take before its payload.</summary>
    public static int PrefixLength(ImageHeader header) => HeaderSize + NameLength(header.Name) + (header.Fields?.Utf8.Length ?? 0);

    /// <summary>Writes header, name and fields into <paramref name="value"/>; the payload goes at the returned offset.</summary>
    public static int WriteHeader(Span<byte> value, ImageHeader header, uint crc)
    {
        var s = header.Shape;
        value[0] = header.Fields is null ? Version : FieldsVersion;
        value[1] = (byte)header.Encoding;
        value[2] = (byte)s.Channels;
        value[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(value[4..], (uint)s.Height);
        BinaryPrimitives.WriteUInt32LittleEndian(value[8..], (uint)s.Width);
        BinaryPrimitives.WriteInt32LittleEndian(value[12..], header.Label);
        BinaryPrimitives.WriteUInt32LittleEndian(value[16..], crc);
        int nameLength = 0;
        if (header.Name is { } name)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            nameLength = Math.Min(nameBytes.Length, ushort.MaxValue);
            nameBytes.AsSpan(0, nameLength).CopyTo(value[HeaderSize..]);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(value[20..], (ushort)nameLength);
        int fieldsLength = 0;
        if (header.Fields is { } fields)
        {
            // RecordFields.MaxBytes is ushort.MaxValue, so the length always fits its u16.
            fieldsLength = fields.Utf8.Length;
            fields.Utf8.Span.CopyTo(value[(HeaderSize + nameLength)..]);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(value[22..], (ushort)fieldsLength);
        return HeaderSize + nameLength + fieldsLength;
    }

    /// <summary>A parsed value: the header fields and where the payload is.</summary>
    public readonly ref struct Parsed
    {
        public required ImageShape Shape { get; init; }
        public required int Label { get; init; }
        public required ImageEncoding Encoding { get; init; }
        public required byte Version { get; init; }
        public required uint Crc { get; init; }
        public required ReadOnlySpan<byte> NameBytes { get; init; }
        public required ReadOnlySpan<byte> FieldsBytes { get; init; }
        public required ReadOnlySpan<byte> Payload { get; init; }

        /// <summary>The whole header, name and fields parsed (allocates when there are any).</summary>
        public ImageHeader ToHeader(long id, string path)
        {
            RecordFields? fields = null;
            if (!FieldsBytes.IsEmpty && !RecordFields.TryFromUtf8(FieldsBytes, out fields, out string? problem))
                throw StoreChecks.Damaged(path, id, $"its fields are not {problem}");
            return new(id, Shape, Label, NameBytes.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(NameBytes))
            {
                Encoding = Encoding,
                PayloadLength = Payload.Length,
                Fields = fields,
            };
        }
    }

    /// <summary>Parses a value, checking the header is sane; never trusts a length it has not bounded.</summary>
    /// <exception cref="InvalidDataException">The value is damaged; the message names the store and id.</exception>
    public static Parsed Parse(ReadOnlySpan<byte> value, long id, string path)
    {
        if (value.Length < HeaderSize)
            throw StoreChecks.Damaged(path, id, $"value is {value.Length} bytes, shorter than the {HeaderSize}-byte header");
        if (value[0] is > FieldsVersion and < NewestPlausibleVersion)
            throw ImageStashException.NewerLayout(path, "LMDB", value[0], FieldsVersion);
        if (value[0] is not (Version or FieldsVersion or FirstVersion))
            throw StoreChecks.Damaged(path, id, $"record version {value[0]} is not {FirstVersion}, {Version} or {FieldsVersion}");
        int channels = value[2];
        uint height = BinaryPrimitives.ReadUInt32LittleEndian(value[4..]);
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(value[8..]);
        if (value[0] == FirstVersion && value[1] > 1 || channels is not (1 or 3 or 4) || height is < 1 or > ImageShape.MaxSide || width is < 1 or > ImageShape.MaxSide
            || (long)height * width > ImageShape.MaxPixels)
            throw StoreChecks.Damaged(path, id, $"header says encoding {value[1]}, {height}×{width}×{channels}");
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(value[20..]);
        if (HeaderSize + nameLength > value.Length)
            throw StoreChecks.Damaged(path, id, $"name length {nameLength} runs past the {value.Length}-byte value");
        int fieldsLength = value[0] == FieldsVersion ? BinaryPrimitives.ReadUInt16LittleEndian(value[22..]) : 0;
        if (HeaderSize + nameLength + fieldsLength > value.Length)
            throw StoreChecks.Damaged(path, id, $"fields length {fieldsLength} runs past the {value.Length}-byte value");
        var shape = new ImageShape((int)height, (int)width, channels);
        var encoding = (ImageEncoding)value[1];
        var payload = value[(HeaderSize + nameLength + fieldsLength)..];
        if (encoding == ImageEncoding.Raw && payload.Length != shape.ByteCount)
            throw StoreChecks.Damaged(path, id, $"{payload.Length} pixel bytes for a {shape} image ({shape.ByteCount} expected)");
        if (payload.IsEmpty) throw StoreChecks.Damaged(path, id, "its payload is empty");
        return new Parsed
        {
            Shape = shape,
            Label = BinaryPrimitives.ReadInt32LittleEndian(value[12..]),
            Encoding = encoding,
            Version = value[0],
            Crc = BinaryPrimitives.ReadUInt32LittleEndian(value[16..]),
            NameBytes = value.Slice(HeaderSize, nameLength),
            FieldsBytes = value.Slice(HeaderSize + nameLength, fieldsLength),
            Payload = payload,
        };
    }

    /// <summary>Copies a record's payload into <paramref name="destination"/> after checking it against the stored CRC-32.</summary>
    public static void CopyPayload(in Parsed record, Span<byte> destination, long id, string path)
    {
        Check(record, id, path);
        record.Payload.CopyTo(destination);
    }

    /// <summary>Checks the record's CRC-32: of the payload (version 2, and raw version 1), of the decoded pixels (a version 1 PNG).</summary>
    public static void Check(in Parsed record, long id, string path)
    {
        if (record.Version == FirstVersion && record.Encoding == ImageEncoding.Png)
        {
            byte[] pixels = System.Buffers.ArrayPool<byte>.Shared.Rent(record.Shape.Length);
            try
            {
                var codec = ImageStash.Codecs.ImageCodecs.Get(ImageEncoding.Png);
                ImageStash.Codecs.ImageInfo info;
                try { info = codec.ReadInfo(record.Payload); }
                catch (InvalidDataException e) { throw StoreChecks.Damaged(path, id, e.Message); }
                if (info.Width != record.Shape.Width || info.Height != record.Shape.Height)
                    throw StoreChecks.Damaged(path, id, $"its PNG is {info.Width}×{info.Height}, the record says {record.Shape.Width}×{record.Shape.Height}");
                try { codec.Decode(record.Payload, 1, record.Shape.Channels, pixels); }
                catch (InvalidDataException e) { throw StoreChecks.Damaged(path, id, e.Message); }
                Compare(Crc32.HashToUInt32(pixels.AsSpan(0, record.Shape.Length)), record.Crc, "pixel", id, path);
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(pixels); }
            return;
        }
        Compare(Crc32.HashToUInt32(record.Payload), record.Crc, record.Encoding == ImageEncoding.Raw ? "pixel" : "payload", id, path);
    }

    private static void Compare(uint actual, uint stored, string what, long id, string path)
    {
        if (actual != stored)
            throw StoreChecks.Damaged(path, id, $"{what} CRC32 is {actual:x8} but the record says {stored:x8}");
    }
}
