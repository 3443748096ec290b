using System.Buffers.Binary;
using System.IO.Hashing;
using ImageStash.Codecs;

namespace ImageStash.Tests.Codecs;

/// <summary>The PNG codec: our own fast decoder for the PNGs we write, Skia for the rest, both strict about damage.</summary>
public sealed class PngTests
{
    private static IImageCodec Png => ImageCodecs.Get(ImageEncoding.Png);

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
        byte[] png = TestImages.Png(pixels, shape);
        var back = new byte[shape.ByteCount];
        Assert.Equal(new ImageInfo(17, 13, channels), Png.ReadInfo(png));
        Png.Decode(png, 1, channels, back);
        Assert.Equal(pixels, back);
    }

    [Fact]
    public void A_bomb_header_is_refused_before_decoding()
    {
        var e = Assert.Throws<InvalidDataException>(() => Png.ReadInfo(PngHeaderClaiming(100_000, 100_000)));
        Assert.Equal("header claims 100000×100000 pixels, over the limit of 32768 per side and 256 Mpx; refusing it as a likely decompression bomb", e.Message);
        Assert.Throws<InvalidDataException>(() => Png.Decode(PngHeaderClaiming(30_000, 30_000), 1, 3, new byte[16]));
    }

    [Fact]
    public void A_truncated_png_is_damaged_not_zero_filled()
    {
        var shape = new ImageShape(32, 32, 3);
        var pixels = new byte[shape.ByteCount];
        new Random(5).NextBytes(pixels);
        byte[] png = TestImages.Png(pixels, shape);
        var e = Assert.ThrowsAny<InvalidDataException>(() => Png.Decode(png[..(png.Length / 2)], 1, 3, new byte[shape.ByteCount]));
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void Our_pngs_decode_identically_in_skia(int channels)
    {
        var shape = new ImageShape(21, 9, channels);
        using var source = new ImageStash.Sources.SyntheticSource(1, new ImageShape(21, 9, 3));
        var rgb = TestData.Collect(source)[0].Pixels;
        var pixels = new byte[shape.ByteCount];
        for (int i = 0; i < 21 * 9; i++)
            for (int k = 0; k < channels; k++) pixels[i * channels + k] = rgb[i * 3 + Math.Min(k, 2)];
        byte[] png = TestImages.Png(pixels, shape);
        var colour = channels switch { 1 => SkiaSharp.SKColorType.Gray8, _ => SkiaSharp.SKColorType.Rgba8888 };
        using var bitmap = SkiaSharp.SKBitmap.Decode(png, new SkiaSharp.SKImageInfo(9, 21, colour, SkiaSharp.SKAlphaType.Unpremul));
        Assert.NotNull(bitmap);
        var skia = bitmap.Bytes;
        for (int i = 0; i < 21 * 9; i++)
            for (int k = 0; k < channels; k++)
                Assert.Equal(pixels[i * channels + k], skia[i * (channels == 1 ? 1 : 4) + k]);
    }

    [Fact]
    public void Pngs_written_by_PIL_decode_the_same_by_both_paths()
    {
        foreach (string file in Directory.GetFiles(TestData.ImageFolder, "*.png", SearchOption.AllDirectories).Take(5))
        {
            byte[] png = File.ReadAllBytes(file);
            Assert.True(SimplePng.TryReadHeader(png, out int w, out int h, out int c, out bool simple));
            if (!simple || c != 3) continue;
            var ours = new byte[w * h * 3];
            Png.Decode(png, 1, 3, ours);
            using var bitmap = SkiaSharp.SKBitmap.Decode(png, new SkiaSharp.SKImageInfo(w, h, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
            var skia = bitmap.Bytes;
            for (int i = 0; i < w * h; i++)
                for (int k = 0; k < 3; k++) Assert.Equal(skia[i * 4 + k], ours[i * 3 + k]);
        }
    }

    [Fact]
    public void A_flipped_byte_fails_the_chunk_crc()
    {
        var shape = new ImageShape(8, 8, 3);
        var pixels = new byte[shape.ByteCount];
        new Random(2).NextBytes(pixels);
        byte[] png = TestImages.Png(pixels, shape);
        png[45] ^= 1;
        var e = Assert.Throws<InvalidDataException>(() => Png.Decode(png, 1, 3, new byte[shape.ByteCount]));
        Assert.Contains("fails its CRC", e.Message);
    }
}
