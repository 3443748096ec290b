using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The HDF5 file as libhdf5 writes it through <see cref="JournalDriver"/>, with a rollback journal beside it
/// (<c>STORE.journal</c>) that makes every commit atomic: before libhdf5 overwrites a byte that was part of the
/// last committed file, the old bytes go to the journal; bytes past the committed length need no copy. A commit
/// marks the journal empty. A killed writer leaves a hot journal, and the next open (<see cref="Recover"/>) copies
/// the old bytes back and cuts the file to its committed length — the file as it was at the last commit, whatever
/// libhdf5 was doing when the process died. Only a writer recovers, never through a symbolic link, and only with a
/// journal whose header names this file (device and inode) and whose records lie inside the committed length. (The scheme is SQLite's rollback journal; the format is in
/// docs/formats/hdf5.md.)
/// </summary>
/// <remarks>
/// Space for new data is reserved ahead with fallocate (FALLOC_FL_KEEP_SIZE): a full disk then fails before
/// anything is written, and writes into reserved blocks are about a quarter cheaper on ext4 (no per-page delayed
/// allocation). What is left unused is given back when the file is closed. Not thread-safe: libhdf5 calls it
/// under <see cref="H5.Gate"/>.
/// </remarks>
internal sealed partial class JournaledFile
{
    private const ulong Magic = 0x324E524A35485349; // the bytes "ISH5JRN2"
    private const ulong MagicV1 = 0x314E524A35484953; // format 1 (its bytes read "SIH5JRN1"): no file identity, never rolled back
    private const int HeaderSize = 48, HeaderSizeV1 = 32, RecordHeaderSize = 24;
    private const long MinReserve = 4 << 20, MaxReserve = 64 << 20, SmallWrite = 256 << 10, ReserveAheadFrom = 8 << 20;

    private readonly SafeFileHandle _data;
    private readonly (ulong Device, ulong Inode) _identity;
    private SafeFileHandle? _journal;
    private long _journalEnd;
    private ulong _txn;
    private long _committedLength;
    private bool _active, _journalDirty, _poisoned, _reserveUnsupported;
    private long _reserved;
    private List<(long Address, byte[]? Bytes, long Length)>? _deferred; // Bytes null: a truncation to Length

    /// <summary>
    /// Raised at every in-place write once its journal record is written and before the committed bytes are
    /// overwritten: the point where a writer dying inside libhdf5's metadata flush leaves a hot journal. The crash
    /// tests' child process listens here and dies at a chosen one; the store itself only reports the point.
    /// </summary>
    internal static event Action? Overwriting;

    public JournaledFile(string path, FileMode mode, bool writable)
    {
        Path = path;
        _data = OpenNoFollow(path, mode, writable);
        _identity = Identity(_data);
        Eof = _reserved = RandomAccess.GetLength(_data);
        Writable = writable;
    }

    public string Path { get; }

    public bool Writable { get; }

    /// <summary>libhdf5's end of allocated address space.</summary>
    public long Eoa { get; set; }

    /// <summary>The file's physical length.</summary>
    public long Eof { get; private set; }

    /// <summary>fsync the journal before overwriting committed bytes and the file before a commit returns.</summary>
    public bool Sync { get; set; }

    /// <summary>The first error a libhdf5 callback hit since the last commit (libhdf5 itself reports no errno).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The file descriptor, for libhdf5's get_handle.</summary>
    public int Descriptor => (int)_data.DangerousGetHandle();

    public static string JournalPath(string path) => path + ".journal";

    public void Read(long address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(_data, destination[done..], address + done);
            if (n == 0) break;
            done += n;
        }
        destination[done..].Clear(); // past the end of the file reads as zeros, as libhdf5 expects
        if (_deferred is null) return;
        long end = address + destination.Length;
        foreach (var (at, bytes, length) in _deferred)
        {
            if (bytes is null)
            {
                if (length < end) destination[(int)Math.Max(0, length - address)..].Clear();
                continue;
            }
            long from = Math.Max(at, address), to = Math.Min(at + bytes.Length, end);
            if (from < to) bytes.AsSpan((int)(from - at), (int)(to - from)).CopyTo(destination[(int)(from - address)..]);
        }
    }

    /// <summary>
    /// From now until <see cref="ApplyDeferred"/>, the file's writes and truncations are kept in memory (reads see
    /// them; journal records are written at once, as always): libhdf5 can prepare a flush on one thread while
    /// another writes pixels to the same file, without the two queueing on the file's lock.
    /// </summary>
    public void Defer() => _deferred ??= [];

    /// <summary>Performs the writes and truncations kept since <see cref="Defer"/>, in order.</summary>
    public void ApplyDeferred()
    {
        var ops = _deferred;
        _deferred = null;
        if (ops is null || ops.Count == 0 || _poisoned) return;
        SyncJournal();
        foreach (var (address, bytes, length) in ops)
        {
            if (bytes is null) RandomAccess.SetLength(_data, length);
            else RandomAccess.Write(_data, bytes, address);
        }
    }

    public void Write(long address, ReadOnlySpan<byte> source)
    {
        if (_poisoned) return;
        Begin();
        if (address < _committedLength)
        {
            int n = (int)Math.Min(source.Length, _committedLength - address);
            SaveOldBytes(address, n);
            Overwriting?.Invoke();
        }
        Reserve(address, address + source.Length);
        if (_deferred is not null) _deferred.Add((address, source.ToArray(), 0));
        else
        {
            SyncJournal();
            RandomAccess.Write(_data, source, address);
        }
        Eof = Math.Max(Eof, address + source.Length);
    }

    /// <summary>
    /// Before pixels are written straight into chunks libhdf5 has allocated (<see cref="WriteFresh"/>): opens the
    /// commit and reserves space for [<paramref name="start"/>, <paramref name="end"/>).
    /// </summary>
    public void PrepareFresh(long start, long end)
    {
        Begin();
        Reserve(start, end);
    }

    /// <summary>
    /// Writes bytes that nothing committed points at — new chunks, or the rows past the committed count in an
    /// allocated chunk — so they need no journal: a rollback restores the metadata that leaves them unused.
    /// Thread-safe against the driver's callbacks: it only writes; <see cref="NoteFresh"/> records the end after.
    /// </summary>
    public void WriteFresh(long address, ReadOnlySpan<byte> source) => RandomAccess.Write(_data, source, address);

    /// <summary>Records that fresh writes reached <paramref name="end"/>.</summary>
    public void NoteFresh(long end) => Eof = Math.Max(Eof, end);

    /// <summary>Sets the file's length to <see cref="Eoa"/> (libhdf5 calls this when it flushes).</summary>
    public void Truncate()
    {
        if (_poisoned || Eoa == Eof) return;
        Begin();
        if (Eoa < _committedLength) SaveOldBytes(Eoa, (int)(Math.Min(Eof, _committedLength) - Eoa));
        if (_deferred is not null) _deferred.Add((0, null, Eoa));
        else
        {
            SyncJournal();
            RandomAccess.SetLength(_data, Eoa);
        }
        Eof = _reserved = Eoa;
    }

    /// <summary>Makes everything written since the last commit permanent: the journal is marked empty.</summary>
    public void Commit()
    {
        if (_poisoned) throw new InvalidOperationException("A failed write was abandoned; roll back instead.");
        if (!_active) return;
        if (Sync && !_data.IsClosed) RandomAccess.FlushToDisk(_data);
        RandomAccess.Write(_journal!, stackalloc byte[8], 0); // zero magic: nothing to roll back
        if (Sync) RandomAccess.FlushToDisk(_journal!);
        _active = false;
        Failure = null;
    }

    /// <summary>After a failed write: every later write is dropped, so libhdf5 can close the file without touching it.</summary>
    public void Abandon()
    {
        _poisoned = true;
        _deferred = null;
    }

    /// <summary>Records a callback's failure for the store's message.</summary>
    public void Fail(Exception e) => Failure ??= e;

    /// <summary>Gives back blocks reserved past the end and closes the file; the journal stays for commit or recovery.</summary>
    public void CloseData()
    {
        try
        {
            if (_poisoned) return;
            if (_reserved > Eof) RandomAccess.SetLength(_data, Eof); // the same length: frees the reservation
            if (Sync) RandomAccess.FlushToDisk(_data);
        }
        finally { _data.Dispose(); }
    }

    /// <summary>Closes the journal, and deletes it after a final <see cref="Commit"/> (a hot one stays for recovery).</summary>
    public void CloseJournal()
    {
        _journal?.Dispose();
        _journal = null;
        if (!_active && !_poisoned) File.Delete(JournalPath(Path));
    }

    /// <summary>
    /// Rolls <paramref name="path"/> back to its last commit if a writer died mid-commit (a hot journal beside it).
    /// The caller holds the store's writer lock; readers never call this. Neither file is followed through a symbolic
    /// link, the journal must name this very file (device and inode) and every record must lie inside the committed
    /// length, or nothing is written. Returns whether anything was rolled back.
    /// </summary>
    /// <exception cref="JournalMismatch">The journal does not belong to the file, or reaches outside it.</exception>
    public static bool Recover(string path)
    {
        string journalPath = JournalPath(path);
        if (!File.Exists(journalPath)) return false;
        using var journal = OpenNoFollow(journalPath, FileMode.Open, writable: true);
        Span<byte> header = stackalloc byte[HeaderSize];
        var state = ReadHeader(journal, header, out ulong txn, out long committedLength, out var owner);
        if (state == JournalState.Cold) return false;
        if (!File.Exists(path)) throw new InvalidDataException($"'{path}': its journal says a write was interrupted, but the store file is gone.");
        using (var data = OpenNoFollow(path, FileMode.Open, writable: true))
        {
            if (state == JournalState.OldFormat || owner != Identity(data))
                throw new JournalMismatch(path, state == JournalState.OldFormat ? "it was written by an older ImageStash, without the file's identity" : "it was written for another file");
            // Records are read forwards and applied backwards, so the oldest copy of a byte is the one that stays.
            var records = new List<(long Address, byte[] Bytes)>();
            long journalLength = RandomAccess.GetLength(journal);
            Span<byte> head = stackalloc byte[RecordHeaderSize];
            for (long at = HeaderSize; at + RecordHeaderSize <= journalLength;)
            {
                if (RandomAccess.Read(journal, head, at) < RecordHeaderSize) break;
                ulong recordTxn = BinaryPrimitives.ReadUInt64LittleEndian(head);
                long address = BinaryPrimitives.ReadInt64LittleEndian(head[8..]);
                int length = BinaryPrimitives.ReadInt32LittleEndian(head[16..]);
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(head[20..]);
                if (recordTxn != txn || length < 0 || address < 0 || length > journalLength - at - RecordHeaderSize) break;
                var bytes = new byte[length];
                RandomAccess.Read(journal, bytes, at + RecordHeaderSize);
                if (RecordCrc(head[..20], bytes) != crc) break; // torn last record: its overwrite never happened
                // A record only ever saves committed bytes: one past the committed length is not ours to write.
                if (address > committedLength - length) throw new JournalMismatch(path, $"a record reaches past the committed length ({address}+{length} > {committedLength})");
                records.Add((address, bytes));
                at += RecordHeaderSize + length;
            }
            // A writer that shrank the file journaled the bytes it cut off, so a genuine rollback never writes past the
            // file's end except to put those back: a committed length the records can't fill is not this file's.
            long fileLength = RandomAccess.GetLength(data);
            if (committedLength > fileLength && Uncovered(records, fileLength, committedLength) is { } gap)
                throw new JournalMismatch(path, $"its committed length ({committedLength}) is past the file's end ({fileLength}) and no record holds the bytes from {gap}");
            for (int i = records.Count - 1; i >= 0; i--) RandomAccess.Write(data, records[i].Bytes, records[i].Address);
            RandomAccess.SetLength(data, committedLength);
            RandomAccess.FlushToDisk(data);
        }
        RandomAccess.Write(journal, stackalloc byte[8], 0);
        RandomAccess.FlushToDisk(journal);
        return true;
    }

    /// <summary>The first offset in [<paramref name="start"/>, <paramref name="end"/>) that no record covers, or null.</summary>
    private static long? Uncovered(List<(long Address, byte[] Bytes)> records, long start, long end)
    {
        long covered = start;
        foreach (var (address, bytes) in records.OrderBy(r => r.Address))
        {
            if (address > covered) break;
            covered = Math.Max(covered, address + bytes.Length);
        }
        return covered >= end ? null : covered;
    }

    /// <summary>Whether a journal beside <paramref name="path"/> holds an unfinished commit (in any format). Only reads.</summary>
    public static bool IsHot(string path)
    {
        string journalPath = JournalPath(path);
        if (!File.Exists(journalPath)) return false;
        try
        {
            using var journal = File.OpenHandle(journalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return ReadHeader(journal, stackalloc byte[HeaderSize], out _, out _, out _) != JournalState.Cold;
        }
        catch (FileNotFoundException) { return false; }
    }

    private enum JournalState { Cold, Hot, OldFormat }

    private static JournalState ReadHeader(SafeFileHandle journal, Span<byte> header, out ulong txn, out long committedLength, out (ulong, ulong) owner)
    {
        txn = 0;
        committedLength = 0;
        owner = default;
        int n = RandomAccess.Read(journal, header, 0);
        if (n >= HeaderSizeV1 && BinaryPrimitives.ReadUInt64LittleEndian(header) == MagicV1
            && Crc32.HashToUInt32(header[..24]) == BinaryPrimitives.ReadUInt32LittleEndian(header[24..])) return JournalState.OldFormat;
        if (n < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic) return JournalState.Cold;
        if (Crc32.HashToUInt32(header[..40]) != BinaryPrimitives.ReadUInt32LittleEndian(header[40..])) return JournalState.Cold;
        txn = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        committedLength = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        owner = (BinaryPrimitives.ReadUInt64LittleEndian(header[24..]), BinaryPrimitives.ReadUInt64LittleEndian(header[32..]));
        return committedLength >= 0 ? JournalState.Hot : JournalState.Cold;
    }

    /// <summary>With <see cref="Sync"/>, the journal's records reach the disk before the bytes they save are overwritten.</summary>
    private void SyncJournal()
    {
        if (!Sync || !_journalDirty) return;
        RandomAccess.FlushToDisk(_journal!);
        _journalDirty = false;
    }

    private void Begin()
    {
        if (_active) return;
        _journal ??= OpenNoFollow(JournalPath(Path), FileMode.OpenOrCreate, writable: true);
        _txn = _txn == 0 ? (ulong)Environment.TickCount64 << 16 : _txn + 1; // differs from any stale record's
        _committedLength = Eof;
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], _txn);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], _committedLength);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], _identity.Device);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], _identity.Inode);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], Crc32.HashToUInt32(header[..40]));
        RandomAccess.Write(_journal, header, 0);
        _journalEnd = HeaderSize;
        _journalDirty = true;
        _active = true;
    }

    private void SaveOldBytes(long address, int length)
    {
        if (length <= 0) return;
        var record = ArrayPool<byte>.Shared.Rent(RecordHeaderSize + length);
        try
        {
            var span = record.AsSpan(0, RecordHeaderSize + length);
            Read(address, span[RecordHeaderSize..]);
            BinaryPrimitives.WriteUInt64LittleEndian(span, _txn);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], address);
            BinaryPrimitives.WriteInt32LittleEndian(span[16..], length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[20..], RecordCrc(span[..20], span[RecordHeaderSize..]));
            RandomAccess.Write(_journal!, span, _journalEnd);
            _journalEnd += span.Length;
            _journalDirty = true;
        }
        finally { ArrayPool<byte>.Shared.Return(record); }
    }

    private static uint RecordCrc(ReadOnlySpan<byte> head, ReadOnlySpan<byte> bytes)
    {
        var crc = new Crc32();
        crc.Append(head);
        crc.Append(bytes);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>
    /// Reserves blocks for a write of [<paramref name="address"/>, <paramref name="end"/>) before it happens, and once
    /// the file is past 8 MiB, room for the next writes after it.
    /// </summary>
    /// <remarks>
    /// Small writes are left to the file system: reserving costs more than it saves there. Only the bytes about to
    /// be written are reserved in a small file: a reservation inside the file's length stays allocated when the file
    /// closes, and reserving a whole early-allocated chunk (768 KiB) made a one-image store take 800 KB of disk.
    /// </remarks>
    private void Reserve(long address, long end)
    {
        if (end - address < SmallWrite || end <= _reserved || _reserveUnsupported || !OperatingSystem.IsLinux()) return;
        long start = Math.Max(address, _reserved);
        long ahead = Eof < ReserveAheadFrom ? 0 : Math.Clamp(Eof / 8, MinReserve, MaxReserve);
        long length = end - start + ahead;
        int fd = Descriptor;
        if (fallocate(fd, FallocKeepSize, start, length) == 0)
        {
            _reserved = start + length;
            return;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno != ENOSPC)
        {
            _reserveUnsupported = true; // a file system without fallocate: plain writes
            return;
        }
        if (fallocate(fd, FallocKeepSize, start, end - start) == 0)
        {
            _reserved = end;
            return;
        }
        throw new IOException("No space left on device", ENOSPC);
    }
}
