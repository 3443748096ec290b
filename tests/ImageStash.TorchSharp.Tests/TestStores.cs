using ImageStash.Lmdb;
using ImageStash.Tools;
using ImageStash.TorchSharp.Samples;

namespace ImageStash.TorchSharp.Tests;

/// <summary>A folder under the temp directory holding an LMDB store of CIFAR-shaped images, deleted afterwards.</summary>
public sealed class TempStore : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "imagestash-torch-tests", Guid.NewGuid().ToString("N")[..12]);

    public TempStore(int count, int seed = 1, long firstId = 0)
    {
        Directory.CreateDirectory(_dir);
        Store = new StoreRegistry(LmdbStore.Provider).Open(Path.Combine(_dir, "cifar.lmdb"), new StoreOptions { Mode = StoreOpenMode.CreateNew });
        CifarShaped.Fill(Store, count, seed, firstId);
    }

    public IImageStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
