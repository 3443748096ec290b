using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Sources;
using ImageStash.Tests.Cli;
using ImageStash.Tests.Codecs;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 4: decompression bombs. Import and the loader refuse images over PIL's pixel limit (178,956,970)
/// before decoding them, in one line naming the file and --max-pixels; progressive JPEGs of more than 500 scans are
/// refused; stores holding larger images (up to <see cref="ImageShape.MaxPixels"/>) still read.
/// </summary>
public sealed class DecompressionBombTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A real 16384×16384 grey PNG, all black: about 260 KB that decode to 256 Mpx (1 GiB as RGBA).</summary>
    internal static byte[] PngBomb()
    {
        const int side = 16_384;
        var file = new MemoryStream();
        void Chunk(string type, ReadOnlySpan<byte> data)
        {
            Span<byte> word = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
            file.Write(word);
            byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
            file.Write(typeAndData);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typeAndData));
            file.Write(word);
        }
        file.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), side);
        ihdr[8] = 8; // 8-bit grey, not interlaced
        Chunk("IHDR", ihdr);
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[side + 1]; // filter byte 0, then zeros
            for (int y = 0; y < side; y++) z.Write(row);
        }
        Chunk("IDAT", idat.ToArray());
        Chunk("IEND", []);
        return file.ToArray();
    }

    /// <summary>
    /// A valid grey progressive JPEG of <paramref name="side"/>² pixels, all mid-grey: one DC scan of one bit per
    /// block and nothing else (about 350 KB at 13,500²). Decoding a progressive file keeps every coefficient of the
    /// whole image: 2 bytes a pixel, whatever the output size.
    /// </summary>
    internal static byte[] ProgressiveBomb(int side = 13_500)
    {
        var file = new List<byte> { 0xFF, 0xD8 };
        void Segment(byte marker, params byte[] body)
        {
            file.AddRange([0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2)]);
            file.AddRange(body);
        }
        Segment(0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);                                    // DQT 0: all ones
        Segment(0xC2, 8, (byte)(side >> 8), (byte)side, (byte)(side >> 8), (byte)side, 1, 1, 0x11, 0); // SOF2, one component
        Segment(0xC4, [0x00, 1, .. new byte[15], 0]);                                             // DHT DC 0: "0" is difference 0
        Segment(0xDA, 1, 1, 0x00, 0, 0, 0);                                                        // SOS: DC only, first pass
        long blocks = (long)((side + 7) / 8) * ((side + 7) / 8);
        file.AddRange(new byte[(blocks + 7) / 8]);                                                 // one "0" bit per block
        file.AddRange([0xFF, 0xD9]);
        return [.. file];
    }

    [Fact]
    public void The_default_limit_is_pils_and_options_validate()
    {
        Assert.Equal(178_956_970, new SourceOptions().MaxPixels);
        Assert.Equal(178_956_970, new LoaderOptions().MaxPixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SourceOptions { MaxPixels = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoaderOptions { MaxPixels = ImageShape.MaxPixels + 1 });
        Assert.Equal(ImageShape.MaxPixels, new LoaderOptions { MaxPixels = ImageShape.MaxPixels }.MaxPixels);
    }

    [Fact]
    public void Import_refuses_a_progressive_bomb_in_one_line_naming_the_file_and_the_option()
    {
        string file = _dir.File("in/a/bomb.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, ProgressiveBomb());
        var (exit, _, err) = CliRunner.Run("import", _dir.File("in"), _dir.File("s.lmdb"));
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{file}': 13,500×13,500 is 182,250,000 pixels, over the limit of 178,956,970 (a likely decompression bomb); " +
                     "if the image is genuine, raise the limit with --max-pixels (SourceOptions.MaxPixels); fix or remove the file, or pass --on-error skip.", ErrorLine(err));
    }

    [Fact]
    public void The_loader_refuses_an_image_over_its_limit_and_reads_it_when_the_limit_is_raised()
    {
        // A stored image over the default limit (imported with the limit raised, its header checked only) is still a
        // readable store: the loader refuses to decode it, in one line, until told otherwise.
        string folder = _dir.File("in/a");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "big.jpg"), ProgressiveBomb(13_500));
        string store = _dir.File("s.lmdb");
        Assert.Equal(0, CliRunner.Run("import", _dir.File("in"), store, "--max-pixels", "200000000", "--check", "none").Exit);
        Assert.Equal(0, CliRunner.Run("info", store).Exit);
        var (exit, _, err) = CliRunner.Run("loader-bench", store, "--size", "32", "--epochs", "1", "--workers", "0", "--no-limit");
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: store '{Path.GetFullPath(store)}': image 0: 13,500×13,500 is 182,250,000 pixels, over the limit of 178,956,970 " +
                     "(a likely decompression bomb); if the image is genuine, raise the limit with --max-pixels (LoaderOptions.MaxPixels).", ErrorLine(err));
        Assert.Equal(2, CliRunner.Run("loader-bench", store, "--size", "32", "--max-pixels", "0").Exit);
    }

    [Fact]
    public void A_progressive_jpeg_of_more_than_500_scans_is_refused_by_the_whole_image_decoder()
    {
        var jpeg = ImageCodecs.Get(ImageEncoding.Jpeg);
        var output = new byte[8 * 8];
        jpeg.Decode(JpegRegionTests.ManyScans(4), 1, 1, output); // 316 scans
        Assert.All(output, p => Assert.Equal(128, p));
        var e = Assert.Throws<InvalidDataException>(() => jpeg.Decode(JpegRegionTests.ManyScans(13), 1, 1, output)); // 883 scans
        Assert.Contains("more than 500 scans", e.Message);
    }

    [Fact]
    [Trait("Tier", "Full")]
    public void Import_skips_a_16384_square_png_and_a_progressive_bomb_with_bounded_memory()
    {
        string folder = _dir.File("in/a");
        Directory.CreateDirectory(folder);
        byte[] png = PngBomb();
        Assert.InRange(png.Length, 1, 1 << 20);
        File.WriteAllBytes(Path.Combine(folder, "bomb.png"), png);
        File.WriteAllBytes(Path.Combine(folder, "bomb.jpg"), ProgressiveBomb());
        File.WriteAllBytes(Path.Combine(folder, "fine.png"), SmallPng());
        var (exit, peakMb, err) = ChildProcess.CliPeakMemory("import", _dir.File("in"), _dir.File("s.lmdb"), "--on-error", "skip");
        Assert.True(exit == 0, err);
        Assert.True(peakMb < 300, $"import peaked at {peakMb} MB");
        var lines = err.Split('\n').Where(l => l.StartsWith("imagestash: skipped", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains(lines, l => l.StartsWith($"imagestash: skipped '{Path.Combine(folder, "bomb.png")}': 16,384×16,384 is 268,435,456 pixels, over the limit of 178,956,970", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"imagestash: skipped '{Path.Combine(folder, "bomb.jpg")}': 13,500×13,500 is 182,250,000 pixels", StringComparison.Ordinal));
    }

    private static byte[] SmallPng() => ImageEncoder.Png(new byte[4 * 4 * 3], new ImageShape(4, 4, 3));

    /// <summary>The error line among stderr's (a slow run adds plain progress lines).</summary>
    private static string ErrorLine(string err) => Assert.Single(err.Split('\n'), l => l.StartsWith("imagestash: error: ", StringComparison.Ordinal)).TrimEnd();
}
