using System.Buffers.Binary;
using System.IO.Hashing;
using ImageStash.Internal;

namespace ImageStash.Tests.Internal;

public sealed class PngCodecTests
{
    /// <summary>A valid PNG signature and IHDR claiming the size, then a tiny IDAT and IEND.</summary>
    internal static byte[] PngHeaderClaiming(int width, int height)
    {
        var bytes = new List<byte>([137, 80, 78, 71, 13, 10, 26, 10]);
        void Chunk(string type, byte[] data)
        {
            var len = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
            bytes.AddRange(len);
            byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
            bytes.AddRange(typeAndData);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
            bytes.AddRange(crc);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk("IHDR", ihdr);
        Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk("IEND", []);
        return [.. bytes];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void Encode_then_decode_is_exact(int channels)
    {
        var shape = new ImageShape(13, 17, channels);
        var pixels = new byte[shape.ByteCount];
        new Random(channels).NextBytes(pixels);
        byte[] png = PngCodec.Encode(pixels, shape);
        var back = new byte[shape.ByteCount];
        Assert.Equal(shape, PngCodec.Decode(png, back, channels, "test"));
        Assert.Equal(pixels, back);
    }

    [Fact]
    public void A_bomb_header_is_refused_before_decoding()
    {
        var e = Assert.Throws<InvalidDataException>(() => PngCodec.Decode(PngHeaderClaiming(100_000, 100_000), new byte[16], 3, "'x.png'"));
        Assert.Equal("'x.png': header claims 100000×100000 pixels, over the limit of 32768 per side; refusing it as a likely decompression bomb.", e.Message);
    }

    [Fact]
    public void A_truncated_png_is_damaged_not_zero_filled()
    {
        var shape = new ImageShape(32, 32, 3);
        var pixels = new byte[shape.ByteCount];
        new Random(5).NextBytes(pixels);
        byte[] png = PngCodec.Encode(pixels, shape);
        var e = Assert.Throws<InvalidDataException>(() => PngCodec.Decode(png[..(png.Length / 2)], new byte[shape.ByteCount], 3, "'half.png'"));
        Assert.StartsWith("'half.png': cannot decode image", e.Message);
    }
}
