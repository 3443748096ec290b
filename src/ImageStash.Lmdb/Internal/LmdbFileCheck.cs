using System.Buffers.Binary;

namespace ImageStash.Lmdb.Internal;

/// <summary>
/// Checks data.mdb before LMDB maps it. LMDB trusts its file: if the file is shorter than its newest meta page says,
/// touching the missing pages raises SIGBUS and kills the process, which no exception handler can catch. So the two
/// meta pages are read here (LMDB 0.9 layout, docs/formats/lmdb.md) and a truncated file is refused with a message.
/// </summary>
internal static class LmdbFileCheck
{
    private const uint Magic = 0xBEEFC0DE;
    // MDB_page header (16 bytes), then MDB_meta: magic u32, version u32, address u64, mapsize u64,
    // two MDB_db records of 48 bytes (the free DB's first field, md_pad, holds the page size), last_pg u64, txnid u64.
    private const int MetaOffset = 16, PageSizeOffset = MetaOffset + 24, LastPageOffset = MetaOffset + 24 + 96, TxnOffset = LastPageOffset + 8;

    /// <exception cref="InvalidDataException">The file is not LMDB, or is shorter than its committed data.</exception>
    public static void Check(string dataFile, string storePath)
    {
        Span<byte> page0 = stackalloc byte[TxnOffset + 8];
        using var handle = File.OpenHandle(dataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (RandomAccess.Read(handle, page0, 0) < page0.Length || BinaryPrimitives.ReadUInt32LittleEndian(page0[MetaOffset..]) != Magic)
            throw new InvalidDataException($"store '{storePath}': data.mdb is not an LMDB file (no valid meta page 0); restore it from a copy.");
        uint pageSize = BinaryPrimitives.ReadUInt32LittleEndian(page0[PageSizeOffset..]);
        if (pageSize is < 512 or > 65536 || (pageSize & (pageSize - 1)) != 0)
            throw new InvalidDataException($"store '{storePath}': data.mdb's meta page gives page size {pageSize}; the file is damaged — restore it from a copy.");
        ulong lastPage = BinaryPrimitives.ReadUInt64LittleEndian(page0[LastPageOffset..]);
        ulong txn = BinaryPrimitives.ReadUInt64LittleEndian(page0[TxnOffset..]);
        Span<byte> page1 = stackalloc byte[TxnOffset + 8];
        if (RandomAccess.Read(handle, page1, pageSize) == page1.Length && BinaryPrimitives.ReadUInt32LittleEndian(page1[MetaOffset..]) == Magic
            && BinaryPrimitives.ReadUInt64LittleEndian(page1[TxnOffset..]) > txn)
            lastPage = BinaryPrimitives.ReadUInt64LittleEndian(page1[LastPageOffset..]);
        ulong needed = (lastPage + 1) * pageSize;
        // The length after the meta pages: a writer commits its pages before the meta page that counts them, so a
        // meta page read first never points past the length read after it (read the other way round, a commit in
        // between made a live store look truncated to a reader in another process).
        long length = RandomAccess.GetLength(handle);
        if ((ulong)length < needed)
            throw new InvalidDataException($"store '{storePath}': data.mdb is truncated ({length:N0} bytes; its committed pages end at {needed:N0}); restore it from a copy.");
    }
}
