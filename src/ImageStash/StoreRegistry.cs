namespace ImageStash;

/// <summary>
/// Maps a path or a <c>--format</c> name to a store kind. Build one with the providers you use:
/// <c>new StoreRegistry(LmdbStore.Provider, Hdf5Store.Provider)</c>; the PNG folder store is always there and
/// is the fallback for paths no other kind claims.
/// </summary>
public sealed class StoreRegistry
{
    private readonly List<IStoreProvider> _providers;

    /// <summary>Creates a registry of the PNG folder store plus <paramref name="providers"/>.</summary>
    public StoreRegistry(params IEnumerable<IStoreProvider> providers)
    {
        _providers = [.. providers.Where(p => p.Format != PngFolderStore.Provider.Format)];
        _providers.Add(PngFolderStore.Provider);
    }

    /// <summary>The kinds known, in the order paths are matched.</summary>
    public IReadOnlyList<string> Formats => [.. _providers.Select(p => p.Format)];

    /// <summary>The provider for a format name, or the one that matches the path.</summary>
    /// <exception cref="ImageStashException">The format name is unknown.</exception>
    public IStoreProvider Resolve(string path, string? format = null)
    {
        if (format is not null)
            return _providers.FirstOrDefault(p => p.Format == format)
                ?? throw ImageStashException.UnknownFormat(format, Formats);
        return _providers.FirstOrDefault(p => p.Matches(path)) ?? PngFolderStore.Provider;
    }

    /// <summary>Opens the store at <paramref name="path"/> with the kind named by the options or the path.</summary>
    /// <exception cref="ImageStashException">The store cannot be opened; the message says why.</exception>
    public IImageStore Open(string path, StoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new StoreOptions();
        return Resolve(path, options.Format).Open(path, options);
    }

    /// <summary>Opens an existing store for reading.</summary>
    /// <exception cref="ImageStashException">There is no store at the path.</exception>
    public IImageStore OpenRead(string path, string? format = null) =>
        Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly, Format = format });
}
