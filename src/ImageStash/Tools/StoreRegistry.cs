using ImageStash.FolderStore;
namespace ImageStash.Tools;

/// <summary>
/// Maps a path or a <c>--format</c> name to a store kind. Build one with the providers you use:
/// <c>new StoreRegistry(LmdbStore.Provider, Hdf5Store.Provider)</c>; the PNG folder store is always there and
/// takes plain folder paths that no other kind claims.
/// </summary>
/// <remarks>
/// A path that no provider claims is a PNG folder only when it looks like one: an existing folder, or a new path
/// with neither an extension nor a URL scheme. Anything else (<c>typo.lmbd</c>, <c>s3://…</c> without a shard
/// provider) is refused, so a typo never silently becomes a folder of PNGs.
/// </remarks>
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

    /// <summary>The provider for a format name, or the one that the path names.</summary>
    /// <exception cref="ImageStashException">The format name is unknown, or the path names no known kind (an unknown
    /// extension or URL scheme).</exception>
    public IStoreProvider Resolve(string path, string? format = null)
    {
        if (format is not null)
            return _providers.FirstOrDefault(p => p.Format == format)
                ?? throw ImageStashException.UnknownFormat(format, Formats);
        if (_providers.FirstOrDefault(p => p.Matches(path)) is { } provider) return provider;
        if (NamesSomethingElse(path))
            throw ImageStashException.UnknownStoreKind(path, _providers.Select(p => p.PathHint), Formats);
        return PngFolderStore.Provider;
    }

    /// <summary>Opens the store at <paramref name="path"/> with the kind named by the options or the path.</summary>
    /// <exception cref="ImageStashException">The store cannot be opened, or the path names no known kind; the message says why.</exception>
    public IImageStore Open(string path, StoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new StoreOptions();
        return Resolve(path, options.Format).Open(path, options);
    }

    /// <summary>Opens an existing store for reading.</summary>
    /// <exception cref="ImageStashException">There is no store at the path, or the path names no known kind.</exception>
    public IImageStore OpenRead(string path, string? format = null) =>
        Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly, Format = format });

    /// <summary>A URL scheme, or an extension on a path that is not an existing folder.</summary>
    private static bool NamesSomethingElse(string path)
    {
        if (HasScheme(path)) return true;
        if (Directory.Exists(path)) return false;
        string name = Path.GetFileName(path.TrimEnd('/', '\\'));
        int dot = name.LastIndexOf('.');
        return dot > 0 && dot < name.Length - 1;
    }

    private static bool HasScheme(string path)
    {
        int colon = path.IndexOf("://", StringComparison.Ordinal);
        return colon > 0 && char.IsAsciiLetter(path[0]) && path.AsSpan(0, colon).IndexOfAnyExcept(SchemeChars) < 0;
    }

    private static readonly System.Buffers.SearchValues<char> SchemeChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
}
