namespace ImageStash.Tests.Stores;

/// <summary>Every store kind the shared suite runs against; a new store adds one line here.</summary>
public static class StoreKinds
{
    public static StoreRegistry Registry { get; } = new(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);

    public static IReadOnlyList<string> Names { get; } = ["png", "lmdb", "hdf5"];

    public static TheoryData<string> All => [.. Names];

    /// <summary>A store path of the kind inside <paramref name="dir"/>.</summary>
    public static string PathFor(string kind, string dir, string name = "store") => kind switch
    {
        "lmdb" => System.IO.Path.Combine(dir, name + ".lmdb"),
        "hdf5" => System.IO.Path.Combine(dir, name + ".h5"),
        _ => System.IO.Path.Combine(dir, name),
    };

    public static IImageStore Create(string kind, string dir, string name = "store") =>
        Registry.Open(PathFor(kind, dir, name), new StoreOptions { Mode = StoreOpenMode.CreateNew });
}
