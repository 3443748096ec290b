using ImageStash.Bench;
using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Tests.Cli;
using ImageStash.Tests.Codecs;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Loading;

/// <summary>
/// The photo pipeline with region decode (<see cref="LoaderOptions.DecodeRegions"/>, the default) against the
/// whole-decode pipeline: the same crops, the same pixels but where the bound allows, and no change for other records.
/// </summary>
public sealed class RegionDecodeTests : IDisposable
{
    /// <summary>
    /// The pipeline's output, region-decoded against whole-decoded (docs/formats/codecs.md): the margin the pipeline
    /// decodes around each crop keeps the region decoder's differing edge pixels out of what the resize reads.
    /// </summary>
    public const int PipelineBound = 0;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string[] Made = ["made:444", "made:progressive-420", "made:grey"];

    /// <summary>Every test photo and every kind of JPEG; <paramref name="few"/>: three small files only.</summary>
    private IImageStore JpegStore(bool few = false)
    {
        var store = StoreKinds.Create("lmdb", _dir.Path, "jpegs");
        using var batch = new ImageBatch();
        var files = few ? Made.Select(JpegRegionTests.Load) : Directory.GetFiles(TestData.Path("photos"), "*.jpg", SearchOption.AllDirectories).Order().Select(File.ReadAllBytes)
            .Concat(new[] { "photo-oddities/progressive.jpg", "photo-oddities/exif-orientation-6.jpg", "photo-oddities/cmyk.jpg", "made:444", "made:422", "made:440", "made:progressive-420", "made:grey" }
                .Select(JpegRegionTests.Load));
        foreach (byte[] file in files)
            batch.Add(new ImageHeader(batch.Count, ImageCodecs.Get(ImageEncoding.Jpeg).ReadInfo(file).Shape, batch.Count % 3) { Encoding = ImageEncoding.Jpeg }, file);
        store.Put(batch);
        return store;
    }

    private static (long[] Ids, byte[] Pixels)[] Epochs(IImageStore store, LoaderOptions options, int epochs)
    {
        using var loader = new ImageLoader(store, options);
        return [.. Enumerable.Range(0, epochs).SelectMany(_ => loader.NextEpoch().Select(b => (b.Ids.ToArray(), b.Pixels.ToArray())).ToList())];
    }

    private static LoaderOptions Options(LoaderCrop crop, int size, bool regions) =>
        new() { Size = size, Crop = crop, BatchSize = 8, Seed = 22, RandomHorizontalFlip = true, Workers = 1, DecodeRegions = regions };

    [Theory]
    [InlineData(LoaderCrop.Random, 64)]
    [InlineData(LoaderCrop.Random, 224)]
    public void Region_decoded_crops_equal_whole_decoded_crops_within_the_bound(LoaderCrop crop, int size)
    {
        using var store = JpegStore();
        int epochs = size > 100 ? 1 : 2;
        var regions = Epochs(store, Options(crop, size, true), epochs);
        var whole = Epochs(store, Options(crop, size, false), epochs);
        Assert.Equal(whole.Select(b => b.Ids), regions.Select(b => b.Ids));
        long total = 0, count = 0;
        int largest = 0;
        for (int b = 0; b < whole.Length; b++)
            for (int i = 0; i < whole[b].Pixels.Length; i++)
            {
                int difference = Math.Abs(whole[b].Pixels[i] - regions[b].Pixels[i]);
                largest = Math.Max(largest, difference);
                total += difference;
                count++;
            }
        Assert.True(largest <= PipelineBound, $"largest difference {largest}, mean {(double)total / count:F4}");
    }

    [Theory]
    [InlineData("png")]
    [InlineData("raw-variable")]
    [InlineData("mixed")]
    public void Other_records_give_the_same_pixels_with_and_without_region_decode(string kind)
    {
        using var store = StoreKinds.Create("lmdb", _dir.Path, kind);
        using (var batch = RecordKinds.Make(kind)) store.Put(batch);
        var regions = Epochs(store, Options(LoaderCrop.Random, 24, true), 2);
        var whole = Epochs(store, Options(LoaderCrop.Random, 24, false), 2);
        Assert.Equal(whole.Select(b => b.Ids), regions.Select(b => b.Ids));
        Assert.Equal(whole.Select(b => b.Pixels), regions.Select(b => b.Pixels));
    }

    [Fact]
    public void A_small_crop_of_a_large_photo_decodes_a_region_scaled_not_the_whole_image()
    {
        var codec = ImageCodecs.Get(ImageEncoding.Jpeg);
        var info = codec.ReadInfo(JpegRegionTests.Load("photos/cat/0000008.jpg"));
        var plan = PhotoPipeline.Plan(codec, info, (info.Width / 4.0, info.Height / 4.0, info.Width / 3.0, info.Height / 3.0), 32, regions: true);
        var (width, height) = info.ScaledSize(plan.Scale);
        Assert.True(plan.Scale > 1);
        Assert.False(plan.Whole);
        Assert.True(plan.Region.Width < width / 2 && plan.Region.Height < height / 2, $"{plan.Region} of {width}×{height}");
        Assert.True(PhotoPipeline.Plan(codec, info, (0, 0, info.Width / 3.0, info.Height / 3.0), 32, regions: false).Whole);
    }

    [Fact]
    public void Loader_bench_reports_the_whole_decode_and_crop_decode_limits_and_says_how_jpeg_is_decoded()
    {
        string path;
        using (var store = JpegStore(few: true))
        {
            path = store.Path;
            Assert.True(LoaderBenchmark.CropDecodeLimit(store, Options(LoaderCrop.Random, 32, true), 1, rounds: 1) > 0);
        }
        using (var empty = StoreKinds.Create("lmdb", _dir.Path, "empty"))
            Assert.Null(LoaderBenchmark.CropDecodeLimit(empty, Options(LoaderCrop.Random, 32, true), 1));
        var (exit, output, _) = CliRunner.Run("loader-bench", path, "--size", "32", "--epochs", "2", "--workers", "1");
        Assert.Equal(0, exit);
        Assert.Contains("JPEG: only each crop's rows and columns decoded (region decode)", output);
        Assert.Matches(@"epoch 1: [\d,]+ images/s, .*; limit just before: [\d,]+ images/s \([\d.]+×\); crop-decode limit: [\d,]+ images/s \([\d.]+×\)", output);
        Assert.Matches(@"crop-decode limit: the same images' crops decoded as the pipeline decodes them \(DCT-scaled, only the crop's rows and columns where the codec can\), from memory, on 1 thread\(s\): median [\d,]+ images/s; the loader runs at a median [\d.]+× it", output);
        (exit, output, _) = CliRunner.Run("loader-bench", path, "--size", "32", "--epochs", "1", "--workers", "1", "--whole-decode");
        Assert.Equal(0, exit);
        Assert.Contains("JPEG: whole images decoded (--whole-decode)", output);
        (exit, output, _) = CliRunner.Run("loader-bench", path, "--size", "32", "--epochs", "1", "--workers", "1", "--crop", "center");
        Assert.Equal(0, exit);
        Assert.Contains("JPEG: whole images decoded (centre crops span most rows; region decode is for random crops)", output);
        Assert.Contains("crop-decode limit: the same images' crops decoded as the pipeline decodes them (DCT-scaled, whole)", output);
    }

    [Fact]
    [Trait("Tier", "Full")]
    public void Without_the_shim_the_loader_decodes_whole_images_and_loader_bench_says_why()
    {
        string path;
        using (var store = JpegStore(few: true)) path = store.Path;
        var env = new Dictionary<string, string> { [ImageStash.Codecs.JpegRegion.OverrideVariable] = "none" };
        var (exit, output, error) = ChildProcess.Cli(env, "loader-bench", path, "--size", "32", "--epochs", "1", "--workers", "1");
        Assert.True(exit == 0, error);
        Assert.Contains("JPEG: whole images decoded; region decode is unavailable: IMAGESTASH_JPEG_REGION_LIBRARY=none", output);
        Assert.Contains("crop-decode limit: the same images' crops decoded as the pipeline decodes them (DCT-scaled, only the crop's rows and columns where the codec can)", output);
    }

    [Fact]
    public void Only_codecs_that_decode_regions_are_asked_for_regions()
    {
        Assert.True(ImageCodecs.Get(ImageEncoding.Jpeg).DecodesRegions);
        Assert.False(ImageCodecs.Get(ImageEncoding.Png).DecodesRegions);
        Assert.False(ImageCodecs.Get(ImageEncoding.WebP).DecodesRegions);
    }
}
