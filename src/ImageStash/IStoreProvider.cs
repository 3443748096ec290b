namespace ImageStash;

/// <summary>Opens one kind of store. Register a provider with a <see cref="Tools.StoreRegistry"/> to add a store kind.</summary>
public interface IStoreProvider
{
    /// <summary>The kind's name, as <c>--format</c> takes it ("lmdb").</summary>
    string Format { get; }

    /// <summary>
    /// How a path names this kind, for messages that list the kinds: ".lmdb", "s3://BUCKET/PREFIX". The default
    /// is <c>--format</c> with the kind's name.
    /// </summary>
    string PathHint => $"--format {Format}";

    /// <summary>Whether a path names this kind by its extension or scheme or, if it exists, by its contents.</summary>
    bool Matches(string path);

    /// <summary>Opens or creates a store at <paramref name="path"/>.</summary>
    /// <exception cref="ImageStashException">The path holds something else, is missing (when it must exist), or is locked.</exception>
    IImageStore Open(string path, StoreOptions options);
}
