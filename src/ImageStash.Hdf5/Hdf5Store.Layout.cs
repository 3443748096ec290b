using System.Buffers;
using System.IO.Hashing;
using ImageStash.Codecs;
using ImageStash.Hdf5.Internal;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5;

/// <summary>Opening: the writer's lock, recovery of an interrupted commit, the file, and the datasets of either layout.</summary>
public sealed partial class Hdf5Store
{
    private const int MetaChunkRows = 1024;
    private const long LayoutVersion = 2; // 2: /field_bytes and /field_spans (written only once a record has fields)
    private const int ChunkBytesTarget = 1 << 20;

    /// <summary>
    /// A writer (holding the lock) rolls back a commit a killed writer left half done (a hot journal beside the file).
    /// A reader never does — reading never writes — and refuses the store while no live writer owns the journal.
    /// Returns false when nothing committed remains (a creation that never finished; the file is removed).
    /// </summary>
    private bool RecoverInterruptedCommit(string path)
    {
        if (!JournaledFile.IsHot(path)) return true;
        if (_lock is null)
        {
            if (StoreWriterLock.IsHeld(LockPath(path))) return true; // a live writer owns the journal: it reads the last commit's metadata
            throw ImageStashException.UnfinishedCommit(path);
        }
        try
        {
            if (!JournaledFile.Recover(path) || new FileInfo(path).Length > 0) return true;
        }
        catch (JournaledFile.JournalMismatch e)
        {
            throw new ImageStashException($"store '{path}' has a journal that is not its own ({e.Why}); nothing was changed — if you did not expect it, delete '{JournaledFile.JournalPath(path)}' to keep the file as it is.", ImageStashError.UnfinishedCommit, e);
        }
        File.Delete(path);
        return false;
    }

    /// <summary>The writer's lock file beside the store.</summary>
    private static string LockPath(string path) => path + ".lock";

    /// <summary>Opens (or creates) the file and loads its state; writers go through the journal driver.</summary>
    private void OpenFile(bool create)
    {
        bool readOnly = _lock is null;
        Exception? failure = null;
        long fapl = H5.Check(H5.Pcreate(H5.FILE_ACCESS), "H5Pcreate", Path);
        try
        {
            // HDF5's own flock would refuse readers while we write; our lock file keeps out second writers.
            try { H5.Pset_file_locking(fapl, false, true); } catch (EntryPointNotFoundException) { }
            // The default (earliest) file format on purpose: the 1.10 format's checksums would help against
            // damage, but it marks a file "open for write" in its superblock, which keeps readers out while
            // we write and keeps everyone out after a killed writer until h5clear is run.
            if (!readOnly && JournalDriver.Id >= 0)
            {
                _file = JournalDriver.OpenFile(Path, create, fapl, out _journal, out failure);
                if (_journal is not null) _journal.Sync = _options.SyncWrites;
            }
            else
                _file = create ? H5.Fcreate(Path, H5.F_ACC_EXCL, H5.P_DEFAULT, fapl) : H5.Fopen(Path, readOnly ? H5.F_ACC_RDONLY : H5.F_ACC_RDWR, fapl);
        }
        finally { H5.Pclose(fapl); }
        if (_file < 0)
        {
            if (failure is JournaledFile.SymbolicLinkRefused)
                throw new ImageStashException($"store '{Path}' is a symbolic link; a store is written only through its real path.", ImageStashError.NotWritable, failure);
            if (failure is UnauthorizedAccessException || (create && !CanWriteBeside(Path)))
                throw new ImageStashException($"cannot create '{Path}': permission denied; choose a folder you can write to.");
            if (failure is IOException io && create) throw ImageStashException.NotWritable(Path, io);
            throw new InvalidDataException($"'{Path}': HDF5 cannot open the file; it may be damaged, or locked by another program.");
        }
        _root = H5.Check(H5.Gopen2(_file, "/", H5.P_DEFAULT), "H5Gopen2", Path);
        Load();
    }

    private void Load()
    {
        // Stores with fields carry layout_version 2; older readers ignore it (and the fields), newer layouts are refused here.
        if (H5Util.ReadInt64Attribute(_root, "layout_version", Path) is > LayoutVersion and var version)
            throw ImageStashException.NewerLayout(Path, "HDF5", version, LayoutVersion);
        string? classes = H5Util.ReadTextAttribute(_root, "class_names", Path);
        try { _classNames = classes is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(classes) ?? []; }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"'{Path}': attribute class_names is not a JSON list of strings ({e.Message}).", e); }
        if (H5.Lexists(_file, "payload", H5.P_DEFAULT) > 0)
        {
            LoadRagged();
            return;
        }
        if (H5.Lexists(_file, "images", H5.P_DEFAULT) <= 0) return;
        _images = OpenDataset("images", perRow: 0); // its rows are checked against the shape below
        var dims = H5Util.Dims(_images, Path);
        long type = H5.Dget_type(_images);
        nuint elementSize = H5.Tget_size(type);
        H5.Tclose(type);
        if (dims.Length is not (3 or 4) || elementSize != 1 || dims.Skip(1).Any(d => d is < 1 or > ImageShape.MaxSide) || (dims.Length == 4 && dims[3] is not (1 or 3 or 4)))
            throw new ImageStashException($"'{Path}': /images is {string.Join('×', dims)} of {elementSize}-byte elements; ImageStash reads uint8 (N, H, W, C) with C = 1, 3 or 4.");
        _shape = new ImageShape((int)dims[1], (int)dims[2], dims.Length == 4 ? (int)dims[3] : 1);
        long rows = (long)dims[0];
        long count = Math.Min(ReadCount() ?? rows, rows);
        LoadRows(count, "/images has images");
        _map = PixelMap.Build(_images, _shape.Value.Length, count, Path, null);
        _chunkRows = _map?.RowsPerChunk ?? 0;
    }

    /// <summary>The root's count attribute: the rows committed (absent in files written elsewhere).</summary>
    private long? ReadCount()
    {
        long? count = H5Util.ReadInt64Attribute(_root, "count", Path);
        if (count < 0) throw new InvalidDataException($"'{Path}': its count attribute is {count}; the file is damaged — restore it from a copy.");
        return count;
    }

    /// <summary>Reads the per-row datasets both layouts share (labels, ids, CRCs, names) for <paramref name="count"/> rows.</summary>
    private void LoadRows(long count, string what)
    {
        if (H5.Lexists(_file, "meta", H5.P_DEFAULT) > 0)
        {
            _meta = OpenDataset("meta", 1);
            if ((long)H5Util.Dims(_meta, Path)[0] < count) throw new InvalidDataException($"'{Path}': /meta has fewer labels than {what}.");
            _labels.AddRange(H5Util.ReadVector<int>(_meta, H5.NATIVE_INT32, (ulong)count, Path));
        }
        else _labels.AddRange(new int[count]);
        if (H5.Lexists(_file, "ids", H5.P_DEFAULT) > 0)
        {
            _idsSet = OpenDataset("ids", 1);
            _ids.AddRange(H5Util.ReadVector<long>(_idsSet, H5.NATIVE_INT64, (ulong)count, Path));
        }
        else for (long i = 0; i < count; i++) _ids.Add(i);
        if (H5.Lexists(_file, "crc32", H5.P_DEFAULT) > 0)
        {
            _crcSet = OpenDataset("crc32", 1);
            _crcs = [.. H5Util.ReadVector<uint>(_crcSet, H5.NATIVE_UINT32, (ulong)count, Path)];
        }
        if (H5.Lexists(_file, "name_spans", H5.P_DEFAULT) > 0 && H5.Lexists(_file, "name_bytes", H5.P_DEFAULT) > 0)
        {
            _nameSpans = OpenDataset("name_spans", 2);
            _nameBytes = OpenDataset("name_bytes", 1);
            _nameBytesUsed = (long)H5Util.Dims(_nameBytes, Path)[0];
        }
        if (H5.Lexists(_file, "field_spans", H5.P_DEFAULT) > 0 && H5.Lexists(_file, "field_bytes", H5.P_DEFAULT) > 0)
        {
            _fieldSpans = OpenDataset("field_spans", 2);
            _fieldBytes = OpenDataset("field_bytes", 1);
            _fieldBytesUsed = (long)H5Util.Dims(_fieldBytes, Path)[0];
            _fieldSpanRows = (long)H5Util.Dims(_fieldSpans, Path)[0];
        }
        UpdateRowIndex(0);
    }

    /// <summary>
    /// Loads the ragged layout: every row's span, shape and encoding, each checked before it is trusted (a span inside
    /// /payload, a sane shape, raw payloads of exactly their shape's size), so a damaged file fails here with its name.
    /// </summary>
    private void LoadRagged()
    {
        var r = _ragged = new RaggedRows { Payload = OpenDataset("payload", 1), Spans = OpenDataset("payload_spans", 2), Shapes = OpenDataset("shapes", 3), Encodings = OpenDataset("encodings", 1) };
        r.PayloadUsed = (long)H5Util.Dims(r.Payload, Path)[0];
        long count = ReadCount() ?? 0;
        foreach (long set in new[] { r.Spans, r.Shapes, r.Encodings })
            if ((long)H5Util.Dims(set, Path)[0] < count) throw new InvalidDataException($"'{Path}': the ragged layout's datasets hold fewer rows than its count ({count}); run 'imagestash verify {Path}'.");
        var spans = H5Util.ReadRows<long>(r.Spans, H5.NATIVE_INT64, (ulong)count, 2, Path);
        var shapes = H5Util.ReadRows<int>(r.Shapes, H5.NATIVE_INT32, (ulong)count, 3, Path);
        var encodings = H5Util.ReadVector<byte>(r.Encodings, H5.NATIVE_UINT8, (ulong)count, Path);
        for (int row = 0; row < count; row++)
        {
            long offset = spans[2 * row], length = spans[2 * row + 1];
            int h = shapes[3 * row], w = shapes[3 * row + 1], c = shapes[3 * row + 2];
            if (offset < 0 || length < 1 || offset + length > r.PayloadUsed || length > Array.MaxLength
                || h is < 1 or > ImageShape.MaxSide || w is < 1 or > ImageShape.MaxSide || c is not (1 or 3 or 4) || (long)h * w > ImageShape.MaxPixels
                || encodings[row] == 0 && length != (long)h * w * c)
                throw new InvalidDataException($"'{Path}': row {row} of the ragged layout is damaged (span {offset}+{length} of {r.PayloadUsed} payload bytes, shape {h}×{w}×{c}, encoding {encodings[row]}); run 'imagestash verify {Path}'.");
            r.Add(offset, length, new ImageShape(h, w, c), (ImageEncoding)encodings[row]);
        }
        LoadRows(count, "the ragged layout has rows");
        if (_crcs is null) throw new InvalidDataException($"'{Path}': the ragged layout has no /crc32; the file is damaged — restore it from a copy.");
        _map = PixelMap.Build(r.Payload, 1, r.PayloadUsed, Path, null);
    }

    private void CreateFixed(ImageShape shape)
    {
        // A power of two (256 for 32×32×3, ~768 KiB) so that batches of 1,024 fill whole chunks, which are then
        // written straight to the file (H5Dwrite_chunk) instead of through libhdf5's chunk cache.
        ulong chunkRows = (ulong)Math.Clamp((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, ChunkBytesTarget / shape.Length)) / 2, 1, 4096);
        _images = H5Util.CreateExtendible(_file, "images", H5.STD_U8LE, [(ulong)shape.Height, (ulong)shape.Width, (ulong)shape.Channels], chunkRows, Path, allocateEarly: true);
        _shape = shape;
        _chunkRows = chunkRows;
        AddMissingCompanions();
    }

    /// <summary>Creates the ragged layout's datasets and the shared ones. Caller holds <see cref="H5.Gate"/>.</summary>
    private void CreateRagged()
    {
        _ragged = new RaggedRows
        {
            Payload = H5Util.CreateExtendible(_file, "payload", H5.STD_U8LE, [], RaggedRows.PayloadChunkBytes, Path),
            Spans = H5Util.CreateExtendible(_file, "payload_spans", H5.STD_I64LE, [2], MetaChunkRows, Path),
            Shapes = H5Util.CreateExtendible(_file, "shapes", H5.STD_I32LE, [3], MetaChunkRows, Path),
            Encodings = H5Util.CreateExtendible(_file, "encodings", H5.STD_U8LE, [], MetaChunkRows, Path),
        };
        AddMissingCompanions();
    }

    /// <summary>
    /// Creates whichever of /meta, /ids, /crc32, /name_bytes and /name_spans the file lacks — all of them for a new
    /// store; a file written elsewhere (h5py, the article's layout) has /images and perhaps /meta — filled in for the
    /// rows already there: label 0 where there were no labels, ids 0…N−1, the CRCs of their pixels (read once), no
    /// names. Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    private unsafe void AddMissingCompanions()
    {
        if (_meta >= 0 && _idsSet >= 0 && _crcSet >= 0 && _nameBytes >= 0 && _nameSpans >= 0) return;
        ulong count = (ulong)_ids.Count;
        long Create(string name, long fileType, ReadOnlySpan<ulong> rest, ulong chunkRows, bool oneRowPerImage = true)
        {
            if (H5.Lexists(_file, name, H5.P_DEFAULT) > 0) return OpenDataset(name, Product(rest)); // half of a pair: kept as it is
            long set = H5Util.CreateExtendible(_file, name, fileType, rest, chunkRows, Path);
            if (oneRowPerImage && count > 0) H5Util.Extend(set, count, Path);
            return set;
        }
        if (_meta < 0)
        {
            _meta = Create("meta", H5.STD_I32LE, [], MetaChunkRows);
            var labels = _labels.ToArray();
            if (count > 0) fixed (int* l = labels) H5Util.Rows(_meta, H5.NATIVE_INT32, 0, count, l, write: true, Path);
        }
        if (_idsSet < 0)
        {
            _idsSet = Create("ids", H5.STD_I64LE, [], MetaChunkRows);
            var ids = _ids.ToArray();
            if (count > 0) fixed (long* d = ids) H5Util.Rows(_idsSet, H5.NATIVE_INT64, 0, count, d, write: true, Path);
        }
        if (_crcSet < 0)
        {
            var crcs = new uint[count];
            if (count > 0) // a new store has no rows: no buffer (4 MB on the large-object heap cost a full GC per store)
            {
                int size = _shape!.Value.Length, block = Math.Max(1, (4 << 20) / size);
                byte[] pixels = ArrayPool<byte>.Shared.Rent(block * size);
                try
                {
                    for (int row = 0; row < (int)count; row += block)
                    {
                        int n = Math.Min(block, (int)count - row);
                        ReadRows(row, n, pixels.AsSpan(0, n * size));
                        for (int k = 0; k < n; k++) crcs[row + k] = Crc32.HashToUInt32(pixels.AsSpan(k * size, size));
                    }
                }
                finally { ArrayPool<byte>.Shared.Return(pixels); }
            }
            _crcSet = Create("crc32", H5.STD_U32LE, [], MetaChunkRows);
            if (count > 0) fixed (uint* c = crcs) H5Util.Rows(_crcSet, H5.NATIVE_UINT32, 0, count, c, write: true, Path);
            _crcs = [.. crcs];
        }
        if (_nameBytes < 0) _nameBytes = Create("name_bytes", H5.STD_U8LE, [], 64 * 1024, oneRowPerImage: false);
        if (_nameSpans < 0) _nameSpans = Create("name_spans", H5.STD_I64LE, [2], MetaChunkRows); // rows read (0, 0): no name
        _nameBytesUsed = (long)H5Util.Dims(_nameBytes, Path)[0];
    }

    /// <summary>
    /// Opens a dataset whose rows hold <paramref name="perRow"/> elements (0: checked by the caller). Every read and
    /// write sizes its memory from the file's dimensions, so a damaged dataspace — (N, 2050) where (N, 2) belongs —
    /// would make libhdf5 write past the buffer: it is refused here, once, with the dataset's name.
    /// </summary>
    private long OpenDataset(string name, ulong perRow)
    {
        long dapl = H5.Pcreate(H5.DATASET_ACCESS);
        // A cache of several chunks lets a batch that straddles chunks be written without re-reading them.
        H5.Pset_chunk_cache(dapl, 521, 16 << 20, 1.0);
        long set;
        try { set = H5.Check(H5.Dopen2(_file, name, dapl), $"H5Dopen2 {name}", Path); }
        finally { H5.Pclose(dapl); }
        var dims = H5Util.Dims(set, Path);
        if (perRow > 0 && (dims.Length == 0 || Product(dims.AsSpan(1)) != perRow))
        {
            H5.Dclose(set);
            throw new InvalidDataException($"'{Path}': /{name} is {string.Join('×', dims)} where rows of {perRow} belong; the file is damaged — restore it from a copy.");
        }
        return set;
    }

    private static ulong Product(ReadOnlySpan<ulong> dims)
    {
        ulong product = 1;
        foreach (ulong d in dims) product = d == 0 || product <= ulong.MaxValue / d ? product * d : ulong.MaxValue;
        return product;
    }

    private void CloseHandles()
    {
        foreach (long set in new[] { _images, _meta, _idsSet, _crcSet, _nameBytes, _nameSpans, _fieldBytes, _fieldSpans }) if (set >= 0) H5.Dclose(set);
        _ragged?.CloseDatasets();
        if (_root >= 0) H5.Gclose(_root);
        if (_file >= 0) H5.Fclose(_file);
        _images = _meta = _idsSet = _crcSet = _nameBytes = _nameSpans = _fieldBytes = _fieldSpans = _root = _file = -1;
    }

    private static bool CanWriteBeside(string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        try
        {
            using var probe = File.Create(System.IO.Path.Combine(dir, $".imagestash-probe-{Environment.ProcessId}"), 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (UnauthorizedAccessException) { return false; }
        catch (IOException) { return false; }
    }
}
