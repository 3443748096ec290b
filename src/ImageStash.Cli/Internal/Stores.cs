namespace ImageStash.Cli.Internal;

/// <summary>The store kinds the CLI knows: one line per kind.</summary>
internal static class Stores
{
    public static StoreRegistry Registry { get; } = new(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);
}
