using ImageStash.Stranger;
using ImageStash.Tools;

namespace ImageStash.Tests.Stores;

/// <summary>Every store kind the shared suite runs against; a new store adds one line here.</summary>
public static class StoreKinds
{
    public static StoreRegistry Registry { get; } = new(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider, ZipStore.Provider, TarSetStore.Provider);

    /// <summary>The registry the imagestash tool has (no test stores): for tests of the registry's own messages.</summary>
    public static StoreRegistry Builtin { get; } = new(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);

    /// <summary>The kinds the imagestash tool knows (tests that run it in a child process use these).</summary>
    public static IReadOnlyList<string> Names { get; } = ["png", "lmdb", "hdf5"];

    /// <summary>The built-in kinds and the stranger's stores (<see cref="ZipStore"/>, <see cref="TarSetStore"/>), written
    /// with the public API alone in a project without internals access: the contract's suite runs on all of them.</summary>
    public static IReadOnlyList<string> Contract { get; } = [.. Names, "zip", "tarset"];

    /// <summary>A store the loader permutes and a stranger's streaming store that orders itself: the loader's resume and rank tests run on both.</summary>
    public static TheoryData<string> ForLoader => ["lmdb", "tarset"];

    public static TheoryData<string> All => [.. Names];

    public static TheoryData<string> AllWithTestStores => [.. Contract];

    /// <summary>A store path of the kind inside <paramref name="dir"/>.</summary>
    public static string PathFor(string kind, string dir, string name = "store") => kind switch
    {
        "lmdb" => System.IO.Path.Combine(dir, name + ".lmdb"),
        "hdf5" => System.IO.Path.Combine(dir, name + ".h5"),
        "zip" => System.IO.Path.Combine(dir, name + ".zip"),
        "tarset" => System.IO.Path.Combine(dir, name + ".tars"),
        _ => System.IO.Path.Combine(dir, name),
    };

    public static IImageStore Create(string kind, string dir, string name = "store") =>
        Registry.Open(PathFor(kind, dir, name), new StoreOptions { Mode = StoreOpenMode.CreateNew });
}
