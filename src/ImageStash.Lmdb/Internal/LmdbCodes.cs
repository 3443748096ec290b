namespace ImageStash.Lmdb.Internal;

/// <summary>The return codes of LMDB 0.9 (lmdb.h) the store acts on, in one place; LMDB also passes errno values through.</summary>
internal static class LmdbCodes
{
    public const int NotFound = -30798;      // MDB_NOTFOUND
    public const int MapFull = -30792;       // MDB_MAP_FULL: the map must grow
    public const int BadReaderSlot = -30783; // MDB_BAD_RSLOT: a reader slot was taken from this transaction
    public const int MapResized = -30785;    // MDB_MAP_RESIZED: another process grew the map
    public const int EIO = 5, EACCES = 13, ENOSPC = 28, EROFS = 30; // errno passed through
}
