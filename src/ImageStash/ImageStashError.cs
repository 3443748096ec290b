namespace ImageStash;

/// <summary>What an <see cref="ImageStashException"/> is about, for programs that act on the cause rather than the message.</summary>
public enum ImageStashError
{
    /// <summary>Anything not listed below.</summary>
    Other = 0,

    /// <summary>The path or <c>--format</c> names no known store kind (a typo, an unserved URL scheme).</summary>
    UnknownKind,

    /// <summary>The store does not exist where it must.</summary>
    NotFound,

    /// <summary>A store exists where a new one was to be created.</summary>
    AlreadyExists,

    /// <summary>The path holds something that is not a store of the kind asked for.</summary>
    NotAStore,

    /// <summary>An id is not in the store.</summary>
    MissingId,

    /// <summary>An id is already in the store and overwriting was not asked for.</summary>
    DuplicateId,

    /// <summary>An image does not fit the store or the request (shape, size, encoding).</summary>
    DoesNotFit,

    /// <summary>The store was opened read-only.</summary>
    ReadOnly,

    /// <summary>Another process is writing the store.</summary>
    Locked,

    /// <summary>The location cannot be written (permissions, a read-only file system).</summary>
    NotWritable,

    /// <summary>The disk filled up or failed during a write; committed data is kept.</summary>
    WriteFailed,

    /// <summary>A native library the store needs is not installed.</summary>
    MissingLibrary,

    /// <summary>A source (a folder, an archive, a spec) cannot be read as given.</summary>
    BadSource,
    /// <summary>The server (an S3 endpoint) cannot be reached, after retrying.</summary>
    Unreachable,
    /// <summary>The server refused the credentials, or there are none.</summary>
    AccessDenied,

    /// <summary>
    /// A writer stopped in the middle of a commit, and the store was opened for reading, which never rolls back: open
    /// it for writing (or run <c>imagestash verify --repair</c>) to return it to its last commit.
    /// </summary>
    UnfinishedCommit,

    /// <summary>The store was written in a layout version newer than this ImageStash reads: upgrade ImageStash.</summary>
    NewerLayout,
}
