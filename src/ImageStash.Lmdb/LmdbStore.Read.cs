using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using ImageStash.Lmdb.Internal;
using LightningDB;

namespace ImageStash.Lmdb;

// LmdbStore: read transactions, pooled per thread, and lookups by id.
public sealed partial class LmdbStore
{
    /// <summary>
    /// A read transaction holding the map gate shared; adopts a map another process grew. Transactions are reused: a
    /// finished one is reset and kept, and the next read renews it (mdb_txn_reset / mdb_txn_renew), so reading
    /// allocates nothing.
    /// </summary>
    private ReadScope BeginRead()
    {
        _mapGate.EnterReadLock();
        try
        {
            if (TakeIdleReader() is { } tx)
            {
                try
                {
                    tx.Renew();
                    return new ReadScope(tx, this);
                }
                catch (LightningException e) when (e.StatusCode == LmdbCodes.MapResized)
                {
                    tx.Dispose(); // reset and not renewed: LightningDB frees it with the environment
                    _mapGate.ExitReadLock();
                    Resize(0);
                    _mapGate.EnterReadLock();
                }
                catch (LightningException e) when (e.StatusCode == LmdbCodes.BadReaderSlot)
                {
                    // Another environment on the same file in this process closed and cleared this process's reader
                    // slots (LMDB asks for one environment per file per process): this transaction lost its slot.
                    tx.Dispose();
                }
                catch
                {
                    tx.Dispose();
                    throw;
                }
            }
            try { return new ReadScope(_env.BeginTransaction(TransactionBeginFlags.ReadOnly), this); }
            catch (LightningException e) when (e.StatusCode == LmdbCodes.MapResized)
            {
                _mapGate.ExitReadLock();
                Resize(0);
                _mapGate.EnterReadLock();
                return new ReadScope(_env.BeginTransaction(TransactionBeginFlags.ReadOnly), this);
            }
        }
        catch
        {
            _mapGate.ExitReadLock();
            throw;
        }
    }

    private readonly struct ReadScope(LightningTransaction tx, LmdbStore store) : IDisposable
    {
        public LightningTransaction Tx => tx;

        public void Dispose()
        {
            tx.Reset();
            lock (store._idleReaders) store._idleReaders.Push(tx);
            store._mapGate.ExitReadLock();
        }
    }

    private LightningTransaction? TakeIdleReader()
    {
        lock (_idleReaders) return _idleReaders.TryPop(out var tx) ? tx : null;
    }

    private bool TryGetValue(LightningTransaction tx, long id, out ReadOnlySpan<byte> value)
    {
        Span<byte> key = stackalloc byte[LmdbRecord.KeySize];
        LmdbRecord.WriteKey(key, id);
        var (rc, _, v) = tx.Get(_images, key);
        if (rc == MDBResultCode.Success)
        {
            value = v.AsSpan();
            return true;
        }
        if (rc != MDBResultCode.NotFound)
            throw new InvalidDataException($"store '{Path}': LMDB error {(int)rc} ({rc}) reading id {id}; run 'imagestash verify {Path}'.");
        value = default;
        return false;
    }

    private long LastId(LightningTransaction tx)
    {
        using var cursor = tx.CreateCursor(_images);
        var (rc, key, _) = cursor.Last();
        return rc == MDBResultCode.Success ? LmdbRecord.ReadKey(key.AsSpan()) : -1;
    }
}
