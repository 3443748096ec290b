using ImageStash.Codecs;
using ImageStash.Pixels;

namespace ImageStash.Tests.Codecs;

/// <summary>
/// The JPEG codec's region decode through the libjpeg shim: what it gives against the same rectangle of a whole
/// decode, and what it does with damaged and hostile files.
/// </summary>
public sealed class JpegRegionTests
{
    private static readonly IImageCodec Jpeg = ImageCodecs.Get(ImageEncoding.Jpeg);

    /// <summary>
    /// The bound docs/formats/codecs.md states for a region against the same rectangle of a whole decode: libjpeg's
    /// fancy upsampling treats the region's first and last columns and rows as the image's edge, so chroma there comes
    /// from other neighbours. Pixels two or more away from the region's edges are identical.
    /// </summary>
    public const int EdgeBound = 24, InteriorBound = 0;

    /// <summary>Photos of every kind the corpus has: 4:2:0, 4:4:4, 4:2:2, greyscale, progressive, EXIF-rotated.</summary>
    public static TheoryData<string> Files() => ["photos/cat/0000008.jpg", "photos/camera/0000018.jpg", "photo-oddities/progressive.jpg",
        "photo-oddities/exif-orientation-6.jpg", "made:444", "made:422", "made:440", "made:progressive-420", "made:grey"];

    internal static byte[] Load(string name)
    {
        if (!name.StartsWith("made:", StringComparison.Ordinal)) return File.ReadAllBytes(TestData.Path(name));
        // Re-encode a photo with TurboJPEG at the subsampling asked for (turbojpeg.h 2.1: TJSAMP_*, TJFLAG_PROGRESSIVE).
        var (photo, full) = TestImages.Decode(File.ReadAllBytes(TestData.Path("photos/coffee/0000023.jpg")));
        // Odd sides, so the last iMCU column and row are partial.
        var shape = new ImageShape(257, 331, 3);
        var pixels = new byte[shape.ByteCount];
        new Resampler().Resize(full, photo.Width, photo.Height, 3, 0, 0, photo.Width, photo.Height, pixels, shape.Width, shape.Height);
        return name switch
        {
            "made:444" => Encode(pixels, shape, 0, 0),
            "made:422" => Encode(pixels, shape, 1, 0),
            "made:440" => Encode(pixels, shape, 4, 0),
            "made:progressive-420" => Encode(pixels, shape, 2, 16384),
            "made:grey" => TestImages.Jpeg(Grey(pixels), shape.WithChannels(1)),
            _ => throw new ArgumentException(name),
        };
    }

    private static byte[] Grey(byte[] rgb)
    {
        var grey = new byte[rgb.Length / 3];
        for (int i = 0; i < grey.Length; i++) grey[i] = (byte)((rgb[3 * i] * 3 + rgb[3 * i + 1] * 5 + rgb[3 * i + 2] * 2) / 10);
        return grey;
    }

    private static unsafe byte[] Encode(byte[] pixels, ImageShape shape, int subsampling, int flags)
    {
        // A handle of its own: TurboJPEG 2.1 keeps the progressive setting in a handle, and the thread's compressor
        // then writes broken baseline files (seen here: the next tjCompress2 without the flag).
        nint handle = TurboJpeg.tjInitCompress();
        byte* output = null;
        nuint size = 0;
        try
        {
            fixed (byte* input = pixels)
                Assert.Equal(0, TurboJpeg.tjCompress2(handle, input, shape.Width, 0, shape.Height, TurboJpeg.PixelRgb, &output, &size, subsampling, 88, flags));
            return new ReadOnlySpan<byte>(output, (int)size).ToArray();
        }
        finally
        {
            TurboJpeg.tjFree(output);
            TurboJpeg.tjDestroy(handle);
        }
    }

    [Fact]
    public void The_shim_is_built_and_loaded_here() => Assert.True(Jpeg.DecodesRegions, JpegRegion.Missing);

    [Theory]
    [MemberData(nameof(Files))]
    public void A_region_equals_the_same_rectangle_of_a_whole_decode_but_near_its_edges(string name)
    {
        byte[] file = Load(name);
        var info = Jpeg.ReadInfo(file);
        var random = new Random(22);
        foreach (int channels in new[] { 3, 1 })
            foreach (int scale in Jpeg.Scales)
            {
                var (width, height) = info.ScaledSize(scale);
                var whole = new byte[width * height * channels];
                Jpeg.Decode(file, scale, channels, whole);
                for (int trial = 0; trial < 10; trial++)
                {
                    int w = random.Next(1, width + 1), h = random.Next(1, height + 1);
                    int x = trial == 0 ? 0 : random.Next(0, width - w + 1), y = trial == 0 ? 0 : random.Next(0, height - h + 1);
                    if (trial == 1) (x, y, w, h) = (0, 0, width, height);
                    var region = new byte[w * h * channels];
                    Jpeg.DecodeRegion(file, scale, x, y, w, h, channels, region);
                    for (int r = 0; r < h; r++)
                        for (int c = 0; c < w; c++)
                        {
                            bool edge = r < 2 || c < 2 || r >= h - 2 || c >= w - 2;
                            for (int k = 0; k < channels; k++)
                            {
                                int difference = Math.Abs(region[(r * w + c) * channels + k] - whole[((y + r) * width + x + c) * channels + k]);
                                if (difference > (edge ? EdgeBound : InteriorBound))
                                    Assert.Fail($"{name} 1/{scale} {channels}ch region ({x},{y} {w}×{h}) pixel ({c},{r}) differs by {difference}");
                            }
                        }
                }
            }
    }

    [Fact]
    public void Cmyk_files_decode_their_regions_whole_and_cut()
    {
        byte[] file = Load("photo-oddities/cmyk.jpg");
        var (width, height) = Jpeg.ReadInfo(file).ScaledSize(2);
        var whole = new byte[width * height * 3];
        Jpeg.Decode(file, 2, 3, whole);
        var region = new byte[20 * 10 * 3];
        Jpeg.DecodeRegion(file, 2, 5, 7, 20, 10, 3, region);
        for (int r = 0; r < 10; r++)
            Assert.True(whole.AsSpan(((7 + r) * width + 5) * 3, 60).SequenceEqual(region.AsSpan(r * 60, 60)));
    }

    [Fact]
    public void A_region_outside_the_image_or_a_short_buffer_is_the_callers_mistake()
    {
        byte[] file = Load("photos/cat/0000008.jpg");
        var (width, height) = Jpeg.ReadInfo(file).ScaledSize(4);
        var e = Assert.Throws<ArgumentException>(() => Jpeg.DecodeRegion(file, 4, width - 5, 0, 10, 10, 3, new byte[300]));
        Assert.StartsWith($"The region ({width - 5}, 0, 10×10) is not inside the {width}×{height} image.", e.Message);
        Assert.Throws<ArgumentException>(() => Jpeg.DecodeRegion(file, 4, 0, 0, 10, 10, 3, new byte[299]));
        Assert.Throws<ArgumentException>(() => Jpeg.DecodeRegion(file, 3, 0, 0, 10, 10, 3, new byte[300]));
    }

    [Fact]
    public void A_truncated_file_is_damaged_data_with_libjpegs_reason()
    {
        byte[] file = Load("photo-oddities/truncated.jpg");
        var (width, height) = Jpeg.ReadInfo(file).ScaledSize(1);
        var e = Assert.Throws<InvalidDataException>(() => Jpeg.DecodeRegion(file, 1, 0, 0, width, height, 3, new byte[width * height * 3]));
        Assert.Equal("cannot decode JPEG (Premature end of JPEG file); the file is damaged or truncated", e.Message);
    }

    [Fact]
    public void Thousands_of_mutated_files_each_decode_or_fail_as_damaged_data()
    {
        // Small files, so thousands take well under a second: the point is the shim's error path, under every mutation.
        var (shape, pixels) = TestImages.Decode(Load("photos/cat/0000008.jpg"));
        var small = new byte[40 * 48 * 3];
        new Resampler().Resize(pixels, shape.Width, shape.Height, 3, 0, 0, shape.Width, shape.Height, small, 48, 40);
        byte[][] originals = [TestImages.Jpeg(small, new ImageShape(40, 48, 3)), Encode(small, new ImageShape(40, 48, 3), 2, 16384)];
        var random = new Random(2022);
        var output = new byte[48 * 40 * 3];
        int decoded = 0, damaged = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] file = (byte[])originals[i % 2].Clone();
            int edits = random.Next(1, 6);
            for (int k = 0; k < edits; k++)
                switch (random.Next(3))
                {
                    case 0: file[random.Next(2, file.Length)] = (byte)random.Next(256); break;
                    case 1: file[random.Next(2, file.Length)] ^= (byte)(1 << random.Next(8)); break;
                    default: Array.Resize(ref file, random.Next(4, file.Length)); break;
                }
            try
            {
                var info = Jpeg.ReadInfo(file);
                var (width, height) = info.ScaledSize(2);
                int w = Math.Min(width, 17), h = Math.Min(height, 13);
                if (output.Length < w * h * 3) output = new byte[w * h * 3];
                Jpeg.DecodeRegion(file, 2, width - w, height - h, w, h, 3, output);
                decoded++;
            }
            catch (InvalidDataException) { damaged++; }
        }
        Assert.True(decoded > 100 && damaged > 100, $"{decoded} decoded, {damaged} damaged: the mutations should give plenty of both");
    }

    [Fact]
    public void A_progressive_file_with_more_than_500_scans_is_refused_and_one_with_316_decodes()
    {
        var (width, height) = (8, 8);
        var output = new byte[width * height];
        Jpeg.DecodeRegion(ManyScans(4), 1, 0, 0, width, height, 1, output);
        Assert.All(output, p => Assert.Equal(128, p)); // every coefficient zero: mid-grey
        var e = Assert.Throws<InvalidDataException>(() => Jpeg.DecodeRegion(ManyScans(13), 1, 0, 0, width, height, 1, output));
        Assert.Equal("cannot decode JPEG (more than 500 progressive scans); the file is damaged or hostile", e.Message);
    }

    /// <summary>
    /// A valid 8×8 grey progressive JPEG whose coefficients are all zero, sent one AC coefficient at a time with
    /// successive approximation from bit <paramref name="firstBit"/> down: 1 + 63 × (<paramref name="firstBit"/> + 1) scans.
    /// Both Huffman tables hold one code, "0", for symbol 0 (DC: difference 0; AC: end of band), so each scan's data is
    /// that bit padded with ones.
    /// </summary>
    internal static byte[] ManyScans(int firstBit)
    {
        var file = new List<byte> { 0xFF, 0xD8 };
        void Segment(byte marker, params byte[] body)
        {
            file.AddRange([0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2)]);
            file.AddRange(body);
        }
        Segment(0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);                  // DQT 0: all ones
        Segment(0xC2, 8, 0, 8, 0, 8, 1, 1, 0x11, 0);                             // SOF2: 8-bit, 8×8, one component 1×1, table 0
        Segment(0xC4, [0x00, 1, .. new byte[15], 0]);                            // DHT DC 0: one code of length 1, symbol 0
        Segment(0xC4, [0x10, 1, .. new byte[15], 0]);                            // DHT AC 0: one code of length 1, symbol 0 (EOB)
        void Scan(int start, int end, int high, int low)
        {
            Segment(0xDA, 1, 1, 0x00, (byte)start, (byte)end, (byte)(high << 4 | low));
            file.Add(0x7F);
        }
        Scan(0, 0, 0, 0);
        for (int k = 1; k < 64; k++)
        {
            Scan(k, k, 0, firstBit);
            for (int bit = firstBit; bit > 0; bit--) Scan(k, k, bit, bit - 1);
        }
        file.AddRange([0xFF, 0xD9]);
        return [.. file];
    }
}
