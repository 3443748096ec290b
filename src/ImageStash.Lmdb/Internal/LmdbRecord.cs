using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ImageStash.Internal;

namespace ImageStash.Lmdb.Internal;

/// <summary>
/// The key and value layout of one image (docs/formats/lmdb.md). Key: the id as 8 bytes big-endian, so keys sort
/// by id. Value: a 24-byte little-endian header, the UTF-8 name, then the payload (raw HWC pixels or a PNG).
/// </summary>
internal static class LmdbRecord
{
    public const byte Version = 1;
    public const int HeaderSize = 24;
    public const int KeySize = 8;

    // Header fields (struct "<BBBxIIiIHxx" in Python):
    // 0 version u8 | 1 encoding u8 | 2 channels u8 | 3 reserved | 4 height u32 | 8 width u32 | 12 label i32
    // 16 crc32 of the HWC pixel bytes u32 | 20 name length u16 | 22 reserved u16

    public static void WriteKey(Span<byte> key, long id) => BinaryPrimitives.WriteInt64BigEndian(key, id);

    public static long ReadKey(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key);

    public static int NameLength(string? name) => name is null ? 0 : Math.Min(Encoding.UTF8.GetByteCount(name), ushort.MaxValue);

    /// <summary>Writes header and name into <paramref name="value"/>; the payload goes at <c>HeaderSize + nameLength</c>.</summary>
    public static int WriteHeader(Span<byte> value, ImageHeader header, PixelEncoding encoding, uint crc)
    {
        var s = header.Shape;
        value[0] = Version;
        value[1] = (byte)encoding;
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
        BinaryPrimitives.WriteUInt16LittleEndian(value[22..], 0);
        return HeaderSize + nameLength;
    }

    /// <summary>A parsed value: the header fields and where the payload is.</summary>
    public readonly ref struct Parsed
    {
        public required ImageShape Shape { get; init; }
        public required int Label { get; init; }
        public required PixelEncoding Encoding { get; init; }
        public required uint Crc { get; init; }
        public required ReadOnlySpan<byte> NameBytes { get; init; }
        public required ReadOnlySpan<byte> Payload { get; init; }

        public ImageHeader ToHeader(long id) =>
            new(id, Shape, Label, NameBytes.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(NameBytes));
    }

    /// <summary>Parses a value, checking the header is sane; never trusts a length it has not bounded.</summary>
    /// <exception cref="InvalidDataException">The value is damaged; the message names the store and id.</exception>
    public static Parsed Parse(ReadOnlySpan<byte> value, long id, string path)
    {
        if (value.Length < HeaderSize)
            throw StoreChecks.Damaged(path, id, $"value is {value.Length} bytes, shorter than the {HeaderSize}-byte header");
        if (value[0] != Version)
            throw StoreChecks.Damaged(path, id, $"record version {value[0]} is not {Version}");
        int channels = value[2];
        uint height = BinaryPrimitives.ReadUInt32LittleEndian(value[4..]);
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(value[8..]);
        if (value[1] > 1 || channels is not (1 or 3 or 4) || height is < 1 or > ImageShape.MaxSide || width is < 1 or > ImageShape.MaxSide)
            throw StoreChecks.Damaged(path, id, $"header says encoding {value[1]}, {height}×{width}×{channels}");
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(value[20..]);
        if (HeaderSize + nameLength > value.Length)
            throw StoreChecks.Damaged(path, id, $"name length {nameLength} runs past the {value.Length}-byte value");
        var shape = new ImageShape((int)height, (int)width, channels);
        var encoding = (PixelEncoding)value[1];
        var payload = value[(HeaderSize + nameLength)..];
        if (encoding == PixelEncoding.Raw && payload.Length != shape.ByteCount)
            throw StoreChecks.Damaged(path, id, $"{payload.Length} pixel bytes for a {shape} image ({shape.ByteCount} expected)");
        return new Parsed
        {
            Shape = shape,
            Label = BinaryPrimitives.ReadInt32LittleEndian(value[12..]),
            Encoding = encoding,
            Crc = BinaryPrimitives.ReadUInt32LittleEndian(value[16..]),
            NameBytes = value.Slice(HeaderSize, nameLength),
            Payload = payload,
        };
    }

    /// <summary>Puts a record's pixels into <paramref name="destination"/> and checks them against the stored CRC32.</summary>
    public static void DecodePixels(in Parsed record, Span<byte> destination, long id, string path)
    {
        var target = destination[..record.Shape.ByteCount];
        if (record.Encoding == PixelEncoding.Raw) record.Payload.CopyTo(target);
        else
        {
            try { ImageStash.Internal.PngCodec.Decode(record.Payload, target, record.Shape.Channels, $"store '{path}' id {id}", record.Shape); }
            catch (InvalidDataException e) { throw StoreChecks.Damaged(path, id, e.Message); }
        }
        uint crc = Crc32.HashToUInt32(target);
        if (crc != record.Crc)
            throw StoreChecks.Damaged(path, id, $"pixel CRC32 is {crc:x8} but the record says {record.Crc:x8}");
    }
}
