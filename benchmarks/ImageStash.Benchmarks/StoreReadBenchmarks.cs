using BenchmarkDotNet.Attributes;
using ImageStash;
using ImageStash.Hdf5;
using ImageStash.Lmdb;
using ImageStash.Sources;
using ImageStash.Tools;

namespace ImageStash.Benchmarks;

/// <summary>What a training step asks of a store: 256 random images of 32×32×3 into a reused buffer, from 10,000.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class StoreReadBenchmarks
{
    private const int Images = 10_000, Batch = 256;
    private readonly byte[] _pixels = new byte[Batch * 3072];
    private readonly int[] _labels = new int[Batch];
    private readonly long[] _ids = new long[Batch];
    private string _dir = "";
    private IImageStore _store = null!;
    private Random _rng = null!;

    [Params("png", "lmdb", "hdf5")]
    public string Store { get; set; } = "lmdb";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"imagestash-bdn-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        var registry = new StoreRegistry(LmdbStore.Provider, Hdf5Store.Provider);
        string path = Path.Combine(_dir, Store switch { "lmdb" => "s.lmdb", "hdf5" => "s.h5", _ => "s" });
        using (var writer = registry.Open(path))
        using (var source = new SyntheticSource(Images, new ImageShape(32, 32, 3)))
            StoreImporter.Import(source, writer);
        _store = registry.OpenRead(path);
        _rng = new Random(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public int ReadRandomBatch()
    {
        for (int i = 0; i < Batch; i++) _ids[i] = _rng.Next(Images);
        _store.ReadMany(_ids, _pixels, _labels);
        return _labels[0];
    }
}
