namespace ImageStash.Shards.Internal;

/// <summary>Where a shard set lives: a local folder or an S3 prefix. Names are plain file names inside it.</summary>
internal abstract class ShardLocation : IDisposable
{
    /// <summary>The location as the user wrote it (a path, s3://bucket/prefix), for messages.</summary>
    public abstract string Display { get; }

    /// <summary>A key that tells locations apart in a shared cache (endpoint, bucket and prefix).</summary>
    public abstract string CacheKey { get; }

    /// <summary>The path of a file in a local location; null where files must be downloaded.</summary>
    public abstract string? LocalPath(string name);

    /// <summary>
    /// A small object (the index, the ids file), or null when there is none. Its size is checked against
    /// <paramref name="limit"/> before anything is read (a sparse or endless file is never loaded), and the read stops
    /// at the limit whatever the size said.
    /// </summary>
    /// <exception cref="InvalidDataException">The object is larger than <paramref name="limit"/>.</exception>
    public abstract byte[]? TryReadSmall(string name, long limit, CancellationToken cancel);

    /// <summary>Reads <paramref name="stream"/> to its end into an array, refusing more than <paramref name="limit"/> bytes.</summary>
    protected async Task<byte[]> ReadCapped(Stream stream, string name, long size, long limit, CancellationToken cancel)
    {
        if (size > limit) throw TooLarge(name, size, limit);
        using var memory = new MemoryStream((int)Math.Max(0, Math.Min(size, limit)));
        var buffer = new byte[64 * 1024];
        for (int n; (n = await stream.ReadAsync(buffer, cancel)) > 0;)
        {
            if (memory.Length + n > limit) throw TooLarge(name, null, limit);
            memory.Write(buffer, 0, n);
        }
        return memory.Length == memory.Capacity ? memory.GetBuffer() : memory.ToArray();
    }

    private InvalidDataException TooLarge(string name, long? size, long limit) =>
        new($"'{Display}': {name} is {(size is { } s ? $"{s:N0} bytes" : "longer than it said")}, more than the {limit:N0} it can be for what it describes; the set is damaged or not an ImageStash shard set.");

    /// <summary>
    /// Downloads an object the index says is <paramref name="bytes"/> bytes into <paramref name="target"/> (a new
    /// file), with parallel ranged reads; returns the object's size as stored (another size means a damaged shard).
    /// </summary>
    public abstract long Download(string name, long bytes, string target, CancellationToken cancel);

    /// <summary>Whether an object of exactly <paramref name="bytes"/> bytes exists (a resumed write skips it).</summary>
    public abstract bool Exists(string name, long bytes, CancellationToken cancel);

    /// <summary>Stores a finished file under <paramref name="name"/>; a local location moves it, S3 uploads it in parts.</summary>
    public abstract void Upload(string file, string name, CancellationToken cancel);

    /// <summary>Replaces a small object in one step (readers see the old bytes or the new, never part).</summary>
    public abstract void PutSmall(string name, byte[] bytes, CancellationToken cancel);

    /// <summary>The names of the objects directly inside the location.</summary>
    public abstract IReadOnlyList<string> List(CancellationToken cancel);

    public abstract void Delete(string name, CancellationToken cancel);

    /// <summary>Makes sure the location can be written (creates a folder; checks a bucket exists).</summary>
    public abstract void PrepareForWriting(CancellationToken cancel);

    public virtual void Dispose()
    {
    }

    /// <summary>An s3:// URL or a local folder.</summary>
    public static ShardLocation Open(string path, S3Options s3) =>
        path.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) ? new S3Location(path, s3) : new LocalLocation(path);
}
