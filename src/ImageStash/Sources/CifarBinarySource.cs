using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace ImageStash.Sources;

/// <summary>
/// Reads the CIFAR-10 binary version: the official <c>cifar-10-binary.tar.gz</c> streamed without extracting,
/// the extracted <c>cifar-10-batches-bin/</c> folder, or one batch <c>.bin</c> file. Each record is one label
/// byte and 3,072 pixel bytes (1,024 R, 1,024 G, 1,024 B, row-major), turned into 32×32×3 HWC.
/// </summary>
public sealed class CifarBinarySource : IImageSource
{
    /// <summary>Bytes in one record: a label byte and 32×32×3 pixels.</summary>
    public const int RecordSize = 1 + PixelCount * 3;
    private const int PixelCount = 32 * 32;
    private static readonly ImageShape Shape = new(32, 32, 3);

    private readonly string _path;
    private readonly SourceOptions _options;
    private List<string> _classNames = [];

    /// <summary>Opens a CIFAR-10 binary archive, folder or batch file.</summary>
    /// <exception cref="ImageStashException">The path holds no CIFAR-10 batch files.</exception>
    public CifarBinarySource(string path, SourceOptions? options = null)
    {
        _path = path;
        _options = options ?? new SourceOptions();
        if (Directory.Exists(path))
        {
            if (BatchFiles(FolderOf(path)).Count == 0)
                throw ImageStashException.BadSource(path, $"no CIFAR-10 batch files ({string.Join(", ", WantedNames())}) in this folder; point at cifar-10-batches-bin/ or the .tar.gz.");
            string meta = Path.Combine(FolderOf(path), "batches.meta.txt");
            if (File.Exists(meta)) _classNames = ParseNames(File.ReadAllText(meta));
        }
        else if (!File.Exists(path))
            throw ImageStashException.BadSource(path, "no such file or folder.");
    }

    /// <summary>Whether a path looks like CIFAR-10 binary data (archive, batch file, or folder of batches).</summary>
    public static bool Recognizes(string path) =>
        IsArchive(path) || path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
        || (Directory.Exists(path) && (File.Exists(Path.Combine(FolderOf(path), "data_batch_1.bin")) || File.Exists(Path.Combine(FolderOf(path), "test_batch.bin"))));

    /// <inheritdoc />
    public string Description => $"CIFAR-10 binary '{_path}' ({_options.Split.ToString().ToLowerInvariant()})";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <inheritdoc />
    public long? Count
    {
        get
        {
            if (IsArchive(_path)) return null;
            long records = Directory.Exists(_path)
                ? BatchFiles(FolderOf(_path)).Sum(f => new FileInfo(f).Length / RecordSize)
                : new FileInfo(_path).Length / RecordSize;
            return _options.Limit is { } limit ? Math.Min(limit, records) : records;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => [];

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Read();

        IEnumerable<ImageBatch> Read()
        {
            using var batch = new ImageBatch(batchSize * Shape.Length);
            var reader = new RecordReader(batch, batchSize, _options);
            var batches = IsArchive(_path) ? reader.FromArchive(_path, names => _classNames = names)
                : Directory.Exists(_path) ? reader.FromFiles(BatchFiles(FolderOf(_path)))
                : reader.FromFiles([_path]);
            foreach (var b in RecordMaker.Apply(batches, _options)) yield return b;
        }
    }

    /// <summary>Nothing to release: files are opened and closed while reading.</summary>
    public void Dispose() { }

    private static bool IsArchive(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    private static string FolderOf(string path)
    {
        string nested = Path.Combine(path, "cifar-10-batches-bin");
        return Directory.Exists(nested) ? nested : path;
    }

    private IEnumerable<string> WantedNames() => NamesFor(_options.Split);

    private static IEnumerable<string> NamesFor(CifarSplit split) => split switch
    {
        CifarSplit.Train => Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin"),
        CifarSplit.Test => ["test_batch.bin"],
        _ => [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin"), "test_batch.bin"],
    };

    private List<string> BatchFiles(string folder) =>
        [.. WantedNames().Select(n => Path.Combine(folder, n)).Where(File.Exists)];

    private static List<string> ParseNames(string text) =>
        [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];

    /// <summary>Turns a byte stream of records into batches; shared by the archive and the file paths.</summary>
    private sealed class RecordReader(ImageBatch batch, int batchSize, SourceOptions options)
    {
        private readonly byte[] _record = new byte[RecordSize];
        private long _nextId;

        public IEnumerable<ImageBatch> FromFiles(IEnumerable<string> files)
        {
            foreach (string file in files)
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                foreach (var b in FromStream(stream, file, stream.Length)) yield return b;
                if (Done) break;
            }
            if (batch.Count > 0) yield return batch;
        }

        /// <summary>
        /// Streams the wanted batch files out of a .tar.gz in canonical order (data_batch_1 … 5, test_batch),
        /// whatever order the archive holds them in: a file that comes early is kept in memory (30 MB each)
        /// until its turn, so ids match those read from the extracted folder.
        /// </summary>
        public IEnumerable<ImageBatch> FromArchive(string archive, Action<List<string>> onNames)
        {
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var wanted = NamesFor(options.Split).ToList();
            var early = new Dictionary<string, (byte[] Data, string What)>();
            int next = 0;
            while (!Done && next < wanted.Count)
            {
                TarEntry? entry;
                try { entry = tar.GetNextEntry(); }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
                {
                    throw new InvalidDataException($"'{archive}': the archive is truncated or damaged after {_nextId} images ({e.Message}); download it again.", e);
                }
                if (entry is null) break;
                string name = Path.GetFileName(entry.Name);
                string what = $"{archive}:{entry.Name}";
                if (name == "batches.meta.txt" && entry.DataStream is not null)
                {
                    using var sr = new StreamReader(entry.DataStream, Encoding.UTF8);
                    onNames(ParseNames(sr.ReadToEnd()));
                    continue;
                }
                int index = wanted.IndexOf(name);
                if (index < next || entry.DataStream is null) continue;
                if (index > next)
                {
                    var copy = new MemoryStream((int)entry.Length);
                    CopyEntry(entry.DataStream, copy, archive, what);
                    early[name] = (copy.ToArray(), what);
                    continue;
                }
                foreach (var b in FromStream(entry.DataStream, what, entry.Length, archive)) yield return b;
                next++;
                for (; next < wanted.Count && early.Remove(wanted[next], out var held); next++)
                    foreach (var b in FromStream(new MemoryStream(held.Data), held.What, held.Data.Length, archive)) yield return b;
            }
            // Files missing from the archive are skipped; those held back are read in order.
            foreach (string name in wanted.Skip(next))
                if (early.Remove(name, out var held))
                    foreach (var b in FromStream(new MemoryStream(held.Data), held.What, held.Data.Length, archive)) yield return b;
            if (batch.Count > 0) yield return batch;
        }

        private static void CopyEntry(Stream from, Stream to, string archive, string what)
        {
            try { from.CopyTo(to); }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
            {
                throw new InvalidDataException($"'{archive}' is truncated or damaged inside '{what}': {e.Message}", e);
            }
        }

        private bool Done => options.Limit is { } limit && _nextId >= limit;

        private IEnumerable<ImageBatch> FromStream(Stream stream, string what, long length, string? archive = null)
        {
            long records = length / RecordSize;
            for (long r = 0; r < records && !Done; r++)
            {
                ReadRecord(stream, what, r, archive);
                int label = _record[0];
                if (label > 9 && options.StrictLabels)
                    throw new InvalidDataException($"'{what}' record {r} (offset {r * RecordSize}): label {label} is not a CIFAR-10 class (0–9); is this CIFAR-100? Pass --lenient-labels to keep it.");
                var pixels = batch.AddUninitialized(new ImageHeader(_nextId++, Shape, label, $"{Path.GetFileName(what)}#{r}"));
                ChwToHwc(_record.AsSpan(1), pixels);
                if (batch.Count == batchSize)
                {
                    yield return batch;
                    batch.Clear();
                }
            }
            if (length % RecordSize != 0 && !Done)
                throw new InvalidDataException($"'{what}' is truncated: record {records} at offset {records * RecordSize} has {length % RecordSize} of {RecordSize} bytes; the file is damaged or not CIFAR-10 binary.");
        }

        private void ReadRecord(Stream stream, string what, long r, string? archive)
        {
            try
            {
                stream.ReadExactly(_record);
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
            {
                throw new InvalidDataException($"'{archive ?? what}' is truncated or damaged at record {r} (offset {r * RecordSize}) of '{what}': {e.Message}", e);
            }
        }

    }

    /// <summary>Planar R, G, B (1,024 bytes each) to interleaved RGB.</summary>
    internal static void ChwToHwc(ReadOnlySpan<byte> planar, Span<byte> hwc)
    {
        var r = planar[..PixelCount];
        var g = planar.Slice(PixelCount, PixelCount);
        var b = planar.Slice(2 * PixelCount, PixelCount);
        for (int p = 0, d = 0; p < PixelCount; p++, d += 3)
        {
            hwc[d] = r[p];
            hwc[d + 1] = g[p];
            hwc[d + 2] = b[p];
        }
    }
}
