namespace ImageStash.Internal;

/// <summary>
/// One writer per store, across processes: an exclusive lock on a file inside the store, held while the store is
/// open for writing. A second writer fails at once with a clear message instead of waiting on the store's own lock.
/// </summary>
internal static class WriterLock
{
    public const string FileName = "imagestash.lock";

    // .NET reports a lock held elsewhere (flock: EWOULDBLOCK) with the errno as HResult; anything else is a
    // read-only or unwritable location, which must not be mistaken for a busy store.
    private const int EWouldBlock = 11;

    /// <summary>Takes the lock in <paramref name="directory"/> (the file is created if needed).</summary>
    /// <exception cref="ImageStashException">Another writer holds it.</exception>
    public static FileStream Acquire(string directory, string storePath) =>
        AcquireFile(Path.Combine(directory, FileName), storePath);

    /// <summary>Takes the lock on the file <paramref name="lockFile"/> (for stores that are one file: a lock beside it).</summary>
    /// <exception cref="ImageStashException">Another writer holds it.</exception>
    public static FileStream AcquireFile(string lockFile, string storePath)
    {
        try
        {
            // .NET takes an exclusive advisory lock (flock) for FileShare.None, which another process also sees.
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.HResult == EWouldBlock)
        {
            throw ImageStashException.Locked(storePath, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ImageStashException.NotWritable(storePath, e);
        }
    }

    /// <summary>Like <see cref="AcquireFile"/>, but returns null when another process holds the lock.</summary>
    /// <exception cref="ImageStashException">The lock file cannot be created or opened (a read-only location).</exception>
    public static FileStream? TryAcquireFile(string lockFile, string storePath)
    {
        try { return AcquireFile(lockFile, storePath); }
        catch (ImageStashException e) when (e.InnerException is IOException { HResult: EWouldBlock }) { return null; }
    }

    /// <summary>Releases a lock taken here and removes its file (while still held, so nobody waits on a deleted file).</summary>
    public static void Release(FileStream held)
    {
        try { File.Delete(held.Name); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        held.Dispose();
    }
}
