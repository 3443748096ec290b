namespace ImageStash;

/// <summary>How to open a store. Setters validate at once.</summary>
public sealed class StoreOptions
{
    private string? _format;

    /// <summary>Whether to create, open, or open read-only.</summary>
    /// <value>The default value is <see cref="StoreOpenMode.OpenOrCreate"/>.</value>
    public StoreOpenMode Mode { get; set; } = StoreOpenMode.OpenOrCreate;

    /// <summary>
    /// The store kind ("png", "lmdb", "hdf5", …) overriding detection from the path; null to detect.
    /// </summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentException">The value is empty or whitespace.</exception>
    public string? Format
    {
        get => _format;
        set
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
                throw new ArgumentException("Format must be null or a store kind such as 'lmdb'.", nameof(value));
            _format = value?.Trim().ToLowerInvariant();
        }
    }

    /// <summary>
    /// Flush written data to the device (fsync) before a batch's commit returns, so it survives power loss,
    /// not just a killed process.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool SyncWrites { get; set; }
}
