using System.Diagnostics;
using ImageStash;
using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Tools;

/// <summary>
/// Images per CPU-second, on one thread, from memory, of each step of the photo pipeline's decode (RandomResizedCrop
/// 224, seed 1, epoch 0): the header, the whole image at full size (the loader-bench limit), the whole image at the
/// pipeline's DCT scale (the pipeline before region decode), the crop's region at that scale (the pipeline now), and
/// the whole image through the region shim (its cost against TurboJPEG's for the same work). CPU time, the best of
/// three rounds, so that a busy shared machine disturbs it less than wall time.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- crop-cost STORE [--decode-only]</remarks>
internal static class CropCost
{
    public static void Run(string[] args)
    {
        var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);
        using var store = stores.OpenRead(args[0]);
        var pipeline = new PhotoPipeline(new LoaderOptions { Size = 224, Seed = 1 });
        var files = new List<(byte[] Data, IImageCodec Codec, ImageInfo Info, PhotoPipeline.DecodePlan Plan)>();
        foreach (long id in store.EnumerateIds())
        {
            if (!store.TryGetHeader(id, out var header) || header.IsRaw) continue;
            var data = new byte[header.PayloadLength];
            store.Read(id, data);
            var codec = ImageCodecs.Get(header.Encoding);
            var info = codec.ReadInfo(data);
            files.Add((data, codec, info, pipeline.PlanFor(codec, info, id, 0)));
        }
        var buffer = new byte[files.Max(f => (long)f.Info.Width * f.Info.Height * 3)];
        double PerCpuSecond(Action<(byte[] Data, IImageCodec Codec, ImageInfo Info, PhotoPipeline.DecodePlan Plan)> work)
        {
            double best = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                foreach (var file in files) work(file);
                best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
            }
            return files.Count / best;
        }
        Console.WriteLine($"{files.Count:N0} images; images per CPU-second on one thread:");
        bool decodeOnly = args.Contains("--decode-only");
        if (!decodeOnly) Console.WriteLine($"  header only:                         {PerCpuSecond(f => f.Codec.ReadInfo(f.Data)):N0}");
        Console.WriteLine($"  whole, full size (the limit):        {PerCpuSecond(f => f.Codec.Decode(f.Data, 1, 3, buffer)):N0}");
        if (!decodeOnly) Console.WriteLine($"  whole, at the pipeline's DCT scale:  {PerCpuSecond(f => f.Codec.Decode(f.Data, f.Plan.Scale, 3, buffer)):N0}");
        Console.WriteLine($"  crop region, at that scale:          {PerCpuSecond(f =>
        {
            var r = f.Plan.Region;
            if (f.Plan.Whole) f.Codec.Decode(f.Data, f.Plan.Scale, 3, buffer);
            else f.Codec.DecodeRegion(f.Data, f.Plan.Scale, r.X, r.Y, r.Width, r.Height, 3, buffer);
        }):N0}");
        Console.WriteLine($"  whole, full size, through the shim:  {PerCpuSecond(f => f.Codec.DecodeRegion(f.Data, 1, 0, 0, f.Info.Width, f.Info.Height, 3, buffer)):N0}");
        if (decodeOnly) return;
        // The whole per-image work of a loader thread (read from the store, decode, turn upright, resize, flip), so
        // that what is not decode shows as the difference to the decode lines above.
        var ids = store.EnumerateIds().ToArray();
        var output = new byte[224 * 224 * 3];
        var floats = new float[224 * 224 * 3];
        double PipelinePerCpuSecond(PhotoPipeline photos, bool toFloats)
        {
            double best = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                foreach (long id in ids)
                {
                    photos.Load(store, id, 0, output);
                    if (toFloats) ImageStash.Pixels.Layouts.HwcToFloats(output, floats, 224 * 224, 3, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
                }
                best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
            }
            return ids.Length / best;
        }
        var payload = new byte[files.Max(f => f.Data.Length)];
        Console.WriteLine($"  read the payload from the store:     {ReadPerCpuSecond():N0}");
        double ReadPerCpuSecond()
        {
            double best = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                foreach (long id in ids) store.TryReadPayload(id, payload, out _);
                best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
            }
            return ids.Length / best;
        }
        // The resize alone, each plan's crop of a region-sized image (its pixels do not matter to the time) to 224².
        var resampler = new ImageStash.Pixels.Resampler();
        int wide = 0;
        foreach (var f in files)
        {
            var (w, h) = f.Info.SwapsSides ? (f.Plan.Region.Height, f.Plan.Region.Width) : (f.Plan.Region.Width, f.Plan.Region.Height);
            if (f.Plan.Crop.Width / 224 > 2 || f.Plan.Crop.Height / 224 > 2) wide++;
        }
        Console.WriteLine($"  resize only (crop to 224², uint8):   {PerCpuSecond(f =>
        {
            var (w, h) = f.Info.SwapsSides ? (f.Plan.Region.Height, f.Plan.Region.Width) : (f.Plan.Region.Width, f.Plan.Region.Height);
            var c = f.Plan.Crop;
            resampler.Resize(buffer, w, h, 3, c.X, c.Y, c.Width, c.Height, output, 224, 224, false);
        }):N0} ({wide:N0} crops shrink more than 2× on one side)");
        var region = new PhotoPipeline(new LoaderOptions { Size = 224, Seed = 1, RandomHorizontalFlip = true });
        var whole = new PhotoPipeline(new LoaderOptions { Size = 224, Seed = 1, RandomHorizontalFlip = true, DecodeRegions = false });
        Console.WriteLine($"  loader thread's work, region decode: {PipelinePerCpuSecond(region, false):N0} (read, decode, upright, resize, flip; uint8)");
        Console.WriteLine($"  loader thread's work, whole decode:  {PipelinePerCpuSecond(whole, false):N0}");
        Console.WriteLine($"  the same, region decode, float:      {PipelinePerCpuSecond(region, true):N0} (+ normalise to float CHW)");
        long regionPixels = files.Sum(f => (long)f.Plan.Region.Width * f.Plan.Region.Height);
        long scaled = files.Sum(f => { var (w, h) = f.Info.ScaledSize(f.Plan.Scale); return (long)w * h; });
        Console.WriteLine($"regions hold {regionPixels / 1e6:F0} of {scaled / 1e6:F0} Mpx at the pipeline's scales; images per scale: " +
                          string.Join(", ", files.GroupBy(f => f.Plan.Scale).OrderBy(g => g.Key).Select(g => $"1/{g.Key}: {g.Count():N0}")));
    }
}
