using ImageStash.Internal;

namespace ImageStash;

/// <summary>
/// One writer per store, across processes: an exclusive advisory lock on a file (inside a folder store, beside a
/// one-file store), held while the store is open for writing. A second writer fails at once with a clear message
/// instead of waiting on, or corrupting, the store. Disposing releases the lock and removes the file.
/// </summary>
public sealed class StoreWriterLock : IDisposable
{
    /// <summary>The lock file's name inside a folder store.</summary>
    public const string FileName = "imagestash.lock";

    private readonly FileStream _file;

    private StoreWriterLock(FileStream file) => _file = file;

    /// <summary>Takes the lock on <paramref name="lockFile"/> (created if needed) for the store at <paramref name="storePath"/>.</summary>
    /// <exception cref="ImageStashException">Another process holds it (<see cref="ImageStashError.Locked"/>), or the file
    /// cannot be created there (<see cref="ImageStashError.NotWritable"/>).</exception>
    public static StoreWriterLock Acquire(string lockFile, string storePath) =>
        TryAcquire(lockFile, storePath) ?? throw ImageStashException.Locked(storePath);

    /// <summary>Like <see cref="Acquire"/>, but returns null when another process holds the lock.</summary>
    /// <exception cref="ImageStashException">The lock file cannot be created or opened (a read-only location).</exception>
    public static StoreWriterLock? TryAcquire(string lockFile, string storePath)
    {
        try
        {
            // .NET takes an exclusive advisory lock (flock) for FileShare.None, which other processes also see.
            return new StoreWriterLock(new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (Errno.IsLockedElsewhere(e))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ImageStashException.NotWritable(storePath, e);
        }
    }

    /// <summary>
    /// Opens a store the way every store does: checks <paramref name="mode"/> against whether the store
    /// <paramref name="exists"/>, takes the writer lock on <paramref name="lockFile"/> unless the store is opened
    /// read-only, then runs <paramref name="open"/> (load the store, or create its files). If anything fails, the lock
    /// is let go of, and a location that cannot be written becomes one <see cref="ImageStashException"/>
    /// (<see cref="StoreChecks.OpenFailure"/>).
    /// </summary>
    /// <param name="path">The store, for messages.</param>
    /// <param name="exists">Whether a store is there already.</param>
    /// <param name="mode">How it is being opened.</param>
    /// <param name="lockFile">The lock file: <see cref="FileName"/> inside a folder store, a file beside a one-file store.</param>
    /// <param name="open">Loads or creates the store; runs with the lock held.</param>
    /// <param name="prepare">Runs before the lock is taken, when the store is opened for writing (e.g. creates the store's folder).</param>
    /// <returns>The lock to hold until the store is disposed; null for a read-only store.</returns>
    /// <exception cref="ImageStashException">The mode does not fit (<see cref="StoreChecks.CheckOpenMode"/>), another
    /// process writes the store, or the location cannot be written.</exception>
    public static StoreWriterLock? OpenStore(string path, bool exists, StoreOpenMode mode, string lockFile, Action open, Action? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        StoreChecks.CheckOpenMode(path, exists, mode);
        StoreWriterLock? held = null;
        try
        {
            if (mode != StoreOpenMode.ReadOnly)
            {
                prepare?.Invoke();
                held = Acquire(lockFile, path);
            }
            open();
            return held;
        }
        catch (Exception e) when (StoreChecks.OpenFailure(path, e) is { } failure)
        {
            held?.Dispose();
            throw failure;
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether opening a file failed only because another process holds a lock on it (flock's EWOULDBLOCK on Linux and
    /// macOS, a sharing or lock violation on Windows): classified by the error code, never the message.
    /// </summary>
    /// <param name="e">The exception the open threw.</param>
    public static bool IsLockedElsewhere(Exception e) => Errno.IsLockedElsewhere(e);

    /// <summary>
    /// Whether a live process holds the lock on <paramref name="lockFile"/>. Only reads: the file is neither created nor
    /// changed, so a reader may ask in a folder it cannot write.
    /// </summary>
    public static bool IsHeld(string lockFile)
    {
        try
        {
            // A shared lock (what .NET takes for a read with sharing) fails at once while a writer holds the exclusive one.
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return false;
        }
        catch (IOException e) when (Errno.IsLockedElsewhere(e)) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Removes the lock file while still holding it (so nobody waits on a deleted file), then releases it.</summary>
    public void Dispose()
    {
        try { File.Delete(_file.Name); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _file.Dispose();
    }
}
