namespace ImageStash;

/// <summary>How <see cref="IStoreProvider.Open"/> (and the registry's <c>Open</c>) treats the path.</summary>
public enum StoreOpenMode
{
    /// <summary>Open the store if it exists, else create it. For writing.</summary>
    OpenOrCreate,

    /// <summary>Create a new store; fail if one exists.</summary>
    CreateNew,

    /// <summary>Open an existing store for writing; fail if none exists.</summary>
    Open,

    /// <summary>Open an existing store for reading only; never takes the writer's lock.</summary>
    ReadOnly,
}
