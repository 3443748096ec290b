using ImageStash.Cli.Commands;
using ImageStash.Shards;
using ImageStash.Tools;

namespace ImageStash.Cli.Internal;

/// <summary>The store kinds the CLI knows: one line per kind.</summary>
internal static class Stores
{
    /// <summary>The stores of the tool, with S3 settings from the environment.</summary>
    public static StoreRegistry Registry { get; } = Make(null);

    /// <summary>The kinds a store can be created as (what bench measures): every kind but shard sets and Parquet datasets (read-only).</summary>
    public static StoreRegistry Writable { get; } = new(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);

    /// <summary>The stores, with the command's <c>--endpoint</c> for s3:// paths when it has one.</summary>
    public static StoreRegistry For(GlobalSettings settings) => settings.Endpoint is null ? Registry : Make(settings.Endpoint);

    /// <summary>S3 settings: the environment's, with <paramref name="endpoint"/> when given.</summary>
    public static S3Options S3(string? endpoint)
    {
        var s3 = new S3Options();
        if (endpoint is not null) s3.Endpoint = endpoint;
        return s3;
    }

    private static StoreRegistry Make(string? endpoint) => new(
        ShardSetStore.ProviderWith(new ShardSetOptions { S3 = S3(endpoint) }),
        ImageStash.Lmdb.LmdbStore.Provider,
        ImageStash.Hdf5.Hdf5Store.Provider,
        ImageStash.Parquet.HfParquetStore.Provider);
}
