using ImageStash.Hdf5;
using ImageStash.Lmdb;
using ImageStash.Shards;
using ImageStash.Tools;
using ImageStash.TorchSharp.Samples;

namespace ImageStash.TorchSharp.Tests;

/// <summary>
/// A folder under the temp directory holding a store of CIFAR-shaped images, deleted afterwards: LMDB unless another
/// kind is named ("hdf5", "png" for a PNG folder, "shards" for a local shard set written from LMDB).
/// </summary>
public sealed class TempStore : IDisposable
{
    private static readonly StoreRegistry Stores = new(LmdbStore.Provider, Hdf5Store.Provider, ShardSetStore.Provider);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "imagestash-torch-tests", Guid.NewGuid().ToString("N")[..12]);

    public TempStore(int count, int seed = 1, long firstId = 0, string kind = "lmdb")
    {
        Directory.CreateDirectory(_dir);
        string lmdb = Path.Combine(_dir, "cifar.lmdb");
        var created = Stores.Open(kind switch { "hdf5" => Path.Combine(_dir, "cifar.h5"), "png" => Path.Combine(_dir, "cifar"), _ => lmdb },
            new StoreOptions { Mode = StoreOpenMode.CreateNew });
        CifarShaped.Fill(created, count, seed, firstId);
        if (kind == "shards")
        {
            string set = Path.Combine(_dir, "set");
            ShardWriter.Write(created, set, new ShardWriterOptions { ShardSize = 64 << 10 }); // several shards
            created.Dispose();
            created = Stores.OpenRead(set);
        }
        Store = created;
    }

    public IImageStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
