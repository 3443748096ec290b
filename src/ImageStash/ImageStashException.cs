namespace ImageStash;

/// <summary>
/// A failure the user can cause and fix: a store that cannot be opened, an image that does not fit a store,
/// a source that cannot be read. The message is one line that names the file or record and says what to do.
/// </summary>
public sealed class ImageStashException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ImageStashException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the failure underneath it.</summary>
    public ImageStashException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>Creates the exception with a message, what it is about, and the failure underneath it.</summary>
    public ImageStashException(string message, ImageStashError error, Exception? inner = null) : base(message, inner) => Error = error;

    /// <summary>What the failure is about.</summary>
    public ImageStashError Error { get; }

    /// <summary>No store exists at the path where one must.</summary>
    public static ImageStashException StoreNotFound(string path) =>
        new($"store '{path}' does not exist; create it with 'imagestash import SOURCE {path}'.", ImageStashError.NotFound);

    /// <summary>A store exists where a new one was to be created.</summary>
    public static ImageStashException StoreExists(string path) =>
        new($"store '{path}' already exists; choose a new path or open it to append.", ImageStashError.AlreadyExists);

    /// <summary>The path holds something that is not a store of <paramref name="kind"/>.</summary>
    public static ImageStashException NotAStore(string path, string kind) =>
        new($"'{path}' is not a {kind} store; choose another path or pass --format to name the store kind.", ImageStashError.NotAStore);

    /// <summary>A <c>--format</c> name no registered kind has.</summary>
    public static ImageStashException UnknownFormat(string format, IEnumerable<string> known) =>
        new($"unknown store format '{format}'; use one of: {string.Join(", ", known)}.", ImageStashError.UnknownKind);

    /// <summary>A path whose extension or URL scheme names no registered kind.</summary>
    public static ImageStashException UnknownStoreKind(string path, IEnumerable<string> hints, IEnumerable<string> formats) =>
        new($"'{path}' names no store kind: use {string.Join(", ", hints)}, or --format {string.Join('|', formats)}.", ImageStashError.UnknownKind);

    /// <summary>The store has no image with the id.</summary>
    public static ImageStashException MissingId(string path, long id) =>
        new($"store '{path}' has no image with id {id}; list ids with 'imagestash info {path}'.", ImageStashError.MissingId);

    /// <summary>The store holds the id already and overwriting was not asked for.</summary>
    public static ImageStashException DuplicateId(string path, long id) =>
        new($"store '{path}' already holds id {id}; pass overwrite (--overwrite) to replace it.", ImageStashError.DuplicateId);

    /// <summary>An image does not fit a store that holds one shape of raw images.</summary>
    public static ImageStashException ShapeMismatch(string path, ImageShape expected, string actual, long id) =>
        new($"store '{path}' holds {expected} raw images in the article's fixed layout; image {id} is {actual} — import with --resize {expected.Width}x{expected.Height} --encode raw, or into a new store (a new HDF5 store takes any sizes and encodings).", ImageStashError.DoesNotFit);

    /// <summary>A read-many met images of two shapes.</summary>
    public static ImageStashException MixedShapes(string path, ImageShape first, ImageShape other, long id) =>
        new($"store '{path}': reading many needs one shape, but image {id} is {other} and the first is {first}; read them one at a time or import with --resize.", ImageStashError.DoesNotFit);

    /// <summary>A read-many met an encoded image.</summary>
    public static ImageStashException EncodedInReadMany(string path, long id, ImageEncoding encoding) =>
        new($"store '{path}': image {id} is {ImageEncodingNames.Name(encoding)}-encoded, and reading many takes raw images of one shape; read encoded images one at a time, or through ImageLoader, which decodes them.", ImageStashError.DoesNotFit);

    /// <summary>A write to a store opened read-only.</summary>
    public static ImageStashException ReadOnly(string path) =>
        new($"store '{path}' was opened read-only; open it for writing to add images.", ImageStashError.ReadOnly);

    /// <summary>Another process is writing the store.</summary>
    public static ImageStashException Locked(string path, Exception? inner = null) =>
        new($"store '{path}' is being written by another process; wait for it to finish or write to another store.", ImageStashError.Locked, inner);

    /// <summary>The store's location cannot be written.</summary>
    public static ImageStashException NotWritable(string path, Exception e) =>
        new($"cannot write store '{path}': {e.Message.TrimEnd('.').Replace(" : '", " for '")}; choose a writable location, or open the store read-only.", ImageStashError.NotWritable, e);

    /// <summary>A native library a store needs is not installed.</summary>
    public static ImageStashException NativeLibraryMissing(string library, string package) =>
        new($"the native library {library} was not found; install it (Debian/Ubuntu: apt-get install {package}).", ImageStashError.MissingLibrary);

    /// <summary>The store's layout version is newer than this ImageStash reads.</summary>
    public static ImageStashException NewerLayout(string path, string kind, long version, long supported) =>
        new($"store '{path}' has {kind} layout version {version}, newer than this ImageStash reads (up to {supported}); upgrade ImageStash to read it.", ImageStashError.NewerLayout);

    /// <summary>A store opened for reading has a commit a stopped writer left unfinished; reading never rolls it back.</summary>
    public static ImageStashException UnfinishedCommit(string path) =>
        new($"store '{path}' has an unfinished commit: open it for writing, or run `imagestash verify --repair`.", ImageStashError.UnfinishedCommit);

    /// <summary>A source that cannot be read as given.</summary>
    public static ImageStashException BadSource(string path, string what) =>
        new($"'{path}': {what}", ImageStashError.BadSource);
}
