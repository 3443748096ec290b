using ImageStash.Sources;

namespace ImageStash.Tests.Sources;

public sealed class SyntheticSourceTests
{
    private static byte[] All(SyntheticSource source, int batchSize) =>
        [.. source.ReadBatches(batchSize).SelectMany(b => Enumerable.Range(0, b.Count).SelectMany(i => b.GetPixels(i).ToArray()))];

    [Fact]
    public void The_same_seed_gives_the_same_images_whatever_the_batch_size()
    {
        var shape = new ImageShape(32, 32, 3);
        Assert.Equal(All(new SyntheticSource(50, shape), 7), All(new SyntheticSource(50, shape), 50));
        Assert.NotEqual(All(new SyntheticSource(50, shape), 7), All(new SyntheticSource(50, shape, new SourceOptions { Seed = 2 }), 7));
    }

    [Fact]
    public void Images_are_smooth_like_photos_not_noise()
    {
        var shape = new ImageShape(32, 32, 3);
        using var source = new SyntheticSource(20, shape);
        var images = TestData.Collect(source);
        long pngBytes = 0;
        foreach (var (_, p) in images)
        {
            double meanStep = 0;
            for (int j = 3; j < p.Length; j++) meanStep += Math.Abs(p[j] - p[j - 3]);
            meanStep /= p.Length - 3;
            // Neighbouring pixels differ by ~85 on average in uniform noise; photos and these images by far less.
            Assert.InRange(meanStep, 0.5, 20);
            pngBytes += TestImages.Png(p, shape).Length;
        }
        // Real 32×32 photos (the CIFAR-format sample) compress to ~63% of raw as PNG; uniform noise to >100%.
        Assert.InRange(pngBytes / (double)(images.Count * shape.ByteCount), 0.3, 0.9);
        Assert.True(images.Select(r => r.Header.Label).Distinct().Count() > 3);
    }

    [Fact]
    public void A_spec_with_a_bad_size_says_how_to_write_it()
    {
        var e = Assert.Throws<ImageStashException>(() => ImageSources.Open("synthetic:10:big"));
        Assert.Equal("'synthetic:10:big': 'big' is not a size; write it as WIDTHxHEIGHT, e.g. 32x32. Write synthetic:COUNT or synthetic:COUNT:WxH, e.g. synthetic:1000:32x32.", e.Message);
        Assert.Equal(new ImageShape(48, 64, 3), TestData.Collect(ImageSources.Open("synthetic:3:64x48"))[0].Header.Shape);
    }
}
