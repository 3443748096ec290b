using ImageStash;
using ImageStash.Loading;
using ImageStash.Tools;

/// <summary>
/// The photo pipeline's output with region decode against whole decode, over a whole store: one epoch of each, same
/// seed, compared byte for byte. Prints the largest and mean absolute difference, and how many bytes differ.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- crop-pixels STORE [size] [random|center]</remarks>
internal static class CropPixels
{
    public static void Run(string[] args)
    {
        var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);
        using var store = stores.OpenRead(args[0]);
        int size = args.Length > 1 ? int.Parse(args[1]) : 224;
        var crop = args.Length > 2 && args[2] == "center" ? LoaderCrop.Center : LoaderCrop.Random;
        LoaderOptions Options(bool regions) => new() { Size = size, Crop = crop, RandomHorizontalFlip = crop == LoaderCrop.Random, Seed = 1, DecodeRegions = regions };
        using var regions = new ImageLoader(store, Options(true));
        using var whole = new ImageLoader(store, Options(false));
        long bytes = 0, differing = 0, total = 0, images = 0;
        int largest = 0;
        foreach (var (a, b) in regions.NextEpoch().Zip(whole.NextEpoch()))
        {
            if (!a.Ids.SequenceEqual(b.Ids)) throw new InvalidOperationException("the two loaders' orders differ");
            var x = a.Pixels;
            var y = b.Pixels;
            for (int i = 0; i < x.Length; i++)
            {
                int d = Math.Abs(x[i] - y[i]);
                if (d == 0) continue;
                differing++;
                total += d;
                largest = Math.Max(largest, d);
            }
            bytes += x.Length;
            images += a.Count;
        }
        Console.WriteLine($"{store.Format} store '{store.Path}', {images:N0} images, {crop.ToString().ToLowerInvariant()} crop to {size}×{size}: region decode against whole decode: " +
                          $"largest difference {largest}, mean {(double)total / bytes:F6} levels per byte, {differing:N0} of {bytes:N0} bytes differ");
    }
}
