using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using ImageStash.Lmdb.Internal;
using LightningDB;

namespace ImageStash.Lmdb;

// LmdbStore: writing a batch in one transaction, growing the map when it is full.
public sealed partial class LmdbStore
{
    private MDBResultCode WriteBatch(LightningTransaction tx, ImageBatch batch, bool overwrite)
    {
        StoreChecks.CheckNewIds(batch, overwrite, Path, id => TryGetValue(tx, id, out _));
        // Appending ids past the last key takes LMDB's fast path (MDB_APPEND: no tree search, full pages).
        bool append = IdsAscending(batch) && batch[0].Id > LastId(tx);
        Span<byte> key = stackalloc byte[LmdbRecord.KeySize];
        byte[] value = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var header = batch[i];
                var payload = batch.GetPayload(i);
                int length = LmdbRecord.PrefixLength(header) + payload.Length;
                if (value.Length < length)
                {
                    ArrayPool<byte>.Shared.Return(value);
                    value = ArrayPool<byte>.Shared.Rent(length);
                }
                int at = LmdbRecord.WriteHeader(value, header, Crc32.HashToUInt32(payload));
                payload.CopyTo(value.AsSpan(at));
                LmdbRecord.WriteKey(key, header.Id);
                var rc = tx.Put(_images, key, value.AsSpan(0, length), append ? PutOptions.AppendData : PutOptions.None);
                if (rc != MDBResultCode.Success) return rc;
            }
            return MDBResultCode.Success;
        }
        finally { ArrayPool<byte>.Shared.Return(value); }
    }

    /// <summary>
    /// Runs a write transaction, growing the map first when the estimate does not fit, and again (doubling,
    /// after aborting the transaction) whenever LMDB reports MDB_MAP_FULL. Committed data is never touched
    /// by a resize: it only happens between transactions.
    /// </summary>
    private void WriteWithGrowth(long estimatedBytes, Func<LightningTransaction, MDBResultCode> write)
    {
        // Copy-on-write touches branch pages and leaves old pages on the free list: leave twice the room.
        EnsureRoom(estimatedBytes * 2);
        for (int attempt = 0; ; attempt++)
        {
            MDBResultCode rc;
            using (var tx = BeginWrite())
            {
                rc = write(tx);
                if (rc == MDBResultCode.Success) rc = tx.Commit();
                else tx.Abort();
            }
            if (rc == MDBResultCode.Success) return;
            if ((int)rc == LmdbCodes.MapFull && attempt < 40)
            {
                Resize(_env.MapSize * 2);
                continue;
            }
            if ((int)rc is LmdbCodes.ENOSPC or LmdbCodes.EIO) // a full tmpfs returns EIO through LMDB's writes
                throw StoreChecks.WriteFailed(Path, new IOException($"LMDB error {(int)rc} ({rc})", (int)rc));
            throw new ImageStashException($"writing to store '{Path}' failed: LMDB error {(int)rc} ({rc}); images committed before this batch are kept.");
        }
    }

    private LightningTransaction BeginWrite() => BeginAdoptingMapSize(TransactionBeginFlags.None);

    /// <summary>
    /// Begins a transaction outside the pooled readers (opening, checking, writing). When a writer in another process
    /// has grown the map since this environment last looked (MDB_MAP_RESIZED), adopts the new size and tries again;
    /// a writer that keeps growing it can do so a few times in a row.
    /// </summary>
    private LightningTransaction BeginAdoptingMapSize(TransactionBeginFlags flags)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return _env.BeginTransaction(flags); }
            catch (LightningException e) when (e.StatusCode == LmdbCodes.MapResized && attempt < 10)
            {
                Resize(0);
            }
        }
    }

    private void EnsureRoom(long bytes)
    {
        var info = _env.Info;
        long used = (info.LastPageNumber + 1) * _env.PageSize;
        long mapSize = _env.MapSize;
        if (used + bytes <= mapSize) return;
        long target = mapSize;
        while (used + bytes > target) target *= 2;
        Resize(target);
    }

    private void Resize(long bytes)
    {
        _mapGate.EnterWriteLock();
        try { _env.MapSize = bytes; }
        finally { _mapGate.ExitWriteLock(); }
    }
}
