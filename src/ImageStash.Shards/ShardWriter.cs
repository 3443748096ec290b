using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using ImageStash.Shards.Internal;

namespace ImageStash.Shards;

/// <summary>
/// Writes a store as a shard set: WebDataset-compatible tar shards filled to a target size, an ids file, and
/// <c>index.json</c> last, as the commit point — into a local folder or under <c>s3://bucket/prefix</c>.
/// </summary>
/// <remarks>
/// A shard is named after its content (<c>shard-000003-&lt;crc32&gt;.tar</c>) and the same store, seed and shard size
/// always make the same shards: a run that was killed or failed published nothing (no index, or the previous one
/// unchanged), and running it again stores only the shards not already there. Files of an earlier set at the
/// destination that the new index does not list are deleted once it is published. Memory stays bounded: shards
/// are spooled to disk and uploaded in parts, at most <see cref="ShardWriterOptions.ParallelUploads"/> at a time.
/// </remarks>
public static class ShardWriter
{
    internal const string SpoolName = ".imagestash-partial";

    /// <summary>Writes every image of <paramref name="source"/> into a shard set at <paramref name="destination"/>.</summary>
    /// <param name="source">Any store.</param>
    /// <param name="destination">A local folder (created; empty or holding a shard set) or s3://bucket/prefix.</param>
    /// <param name="options">Shard size, order, uploads; null for the defaults.</param>
    /// <param name="progress">Samples written so far.</param>
    /// <param name="cancellationToken">Stops the write; nothing is published.</param>
    /// <exception cref="ImageStashException">The destination cannot be written (no such bucket, access denied, a folder holding other files), or a source image is missing.</exception>
    /// <exception cref="InvalidDataException">A source image is damaged; nothing is published.</exception>
    public static ShardWriteResult Write(IImageStore source, string destination, ShardWriterOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new ShardWriterOptions();
        var clock = Stopwatch.StartNew();
        using var location = ShardLocation.Open(destination, options.S3);
        location.PrepareForWriting(cancellationToken);
        var before = location.List(cancellationToken);
        if (location is LocalLocation && !before.Contains(ShardIndex.FileName) && before.Any(n => !IsSetFile(n)))
            throw ImageStashException.NotAStore(destination, "shard set (the folder holds other files; give an empty or new folder)");
        string spool = location is LocalLocation
            ? Path.Combine(destination, SpoolName)
            : Path.Combine(options.SpoolDirectory ?? Path.GetTempPath(), $"imagestash-shards-{Guid.NewGuid():N}");
        if (Directory.Exists(spool)) Directory.Delete(spool, recursive: true); // what a killed run left
        Directory.CreateDirectory(spool);
        try
        {
            var run = new Run(source, location, options, spool, progress, cancellationToken);
            var (shards, ids, labels, fixedShape) = run.WriteShards();
            byte[] idsFile = IdsFile.Write(ids, labels);
            uint idsCrc = Crc32.HashToUInt32(idsFile);
            var idsEntry = new ShardEntry($"ids-{idsCrc:x8}.npy", ids.Length, idsFile.Length, idsCrc);
            if (!location.Exists(idsEntry.Name, idsEntry.Bytes, cancellationToken)) location.PutSmall(idsEntry.Name, idsFile, cancellationToken);
            var index = new ShardIndex
            {
                Version = run.Fields.RecordsWithFields > 0 ? ShardIndex.CurrentVersion : ShardIndex.VersionWithoutFields,
                FieldCounts = run.Fields.Counts,
                Shards = shards,
                Ids = idsEntry,
                ClassNames = source.ClassNames,
                FixedShape = fixedShape,
                Order = options.Shuffle ? "shuffled" : "ids",
                Seed = options.Seed,
                ShardSize = options.ShardSize,
            };
            cancellationToken.ThrowIfCancellationRequested();
            location.PutSmall(ShardIndex.FileName, index.ToJson(), cancellationToken); // the commit point
            var listed = shards.Select(s => s.Name).Append(idsEntry.Name).ToHashSet();
            int removed = 0;
            foreach (string stale in before.Where(n => IsSetFile(n) && n != ShardIndex.FileName && !listed.Contains(n)))
            {
                location.Delete(stale, cancellationToken);
                removed++;
            }
            return new ShardWriteResult(destination, ids.Length, shards.Count, index.Bytes, run.Stored, run.Reused, removed, clock.Elapsed);
        }
        finally
        {
            try { Directory.Delete(spool, recursive: true); }
            catch (IOException) { }
        }
    }

    private static bool IsSetFile(string name) =>
        name == ShardIndex.FileName || name == SpoolName || (name.StartsWith("shard-", StringComparison.Ordinal) && name.EndsWith(".tar", StringComparison.Ordinal))
        || (name.StartsWith("ids-", StringComparison.Ordinal) && name.EndsWith(".npy", StringComparison.Ordinal));

    /// <summary>The extension of a payload member (raw pixels as ".raw": HWC bytes, the shape in the JSON).</summary>
    internal static string Extension(ImageHeader header, string store) => header.Encoding switch
    {
        ImageEncoding.Raw => ".raw",
        ImageEncoding.Png => ".png",
        ImageEncoding.Jpeg => ".jpg",
        ImageEncoding.WebP => ".webp",
        _ => throw new ImageStashException($"store '{store}': image {header.Id} is stored in encoding {(int)header.Encoding}, which shard sets do not hold (raw, PNG, JPEG, WebP).", ImageStashError.DoesNotFit),
    };

    /// <summary>One write: samples in order into shard files, finished shards stored in the background.</summary>
    private sealed class Run(IImageStore source, ShardLocation location, ShardWriterOptions options, string spool, IProgress<long>? progress, CancellationToken cancel)
    {
        private readonly SemaphoreSlim _uploads = new(options.ParallelUploads);
        private readonly List<Task> _pending = [];
        private int _stored, _reused;

        public int Stored => _stored;

        public int Reused => _reused;

        /// <summary>The field names the samples written carry, with counts (any: the set is format version 2).</summary>
        public FieldCounts Fields { get; } = new();

        public (List<ShardEntry> Shards, long[] Ids, int[] Labels, ImageShape? FixedShape) WriteShards()
        {
            long[] ids = [.. source.EnumerateIds()];
            if (options.Shuffle)
            {
                var rng = new Random(options.Seed);
                for (int i = ids.Length - 1; i > 0; i--)
                {
                    int j = rng.Next(i + 1);
                    (ids[i], ids[j]) = (ids[j], ids[i]);
                }
            }
            var labels = new int[ids.Length];
            var shards = new List<ShardEntry>();
            ImageShape? fixedShape = null;
            bool uniform = true;
            byte[] payload = new byte[1 << 20];
            TarFile? current = null;
            try
            {
                for (int i = 0; i < ids.Length; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    long id = ids[i];
                    if (!source.TryGetHeader(id, out var header)) throw ImageStashException.MissingId(source.Path, id);
                    if (payload.Length < header.PayloadLength) payload = new byte[Math.Max(header.PayloadLength, payload.Length * 2L)];
                    header = source.Read(id, payload);
                    var bytes = payload.AsSpan(0, (int)header.PayloadLength);
                    string key = id.ToString("D12", CultureInfo.InvariantCulture);
                    string extension = Extension(header, source.Path);
                    byte[] meta = SampleMeta.Write(header, Crc32.HashToUInt32(bytes));
                    byte[] cls = Encoding.ASCII.GetBytes(header.Label.ToString(CultureInfo.InvariantCulture));
                    long size = TarFile.Size(meta.Length) + TarFile.Size(cls.Length) + TarFile.Size(bytes.Length);
                    if (current is { Samples: > 0 } && current.Bytes + size + 2 * Tar.Block > options.ShardSize)
                    {
                        shards.Add(Finish(current));
                        current = null;
                    }
                    current ??= new TarFile(Path.Combine(spool, $"{shards.Count:D6}.tar"));
                    current.Add(key + ".json", meta);
                    current.Add(key + ".cls", cls);
                    current.Add(key + extension, bytes);
                    current.Samples++;
                    labels[i] = header.Label;
                    Fields.Add(header.Fields);
                    if (!header.IsRaw || (fixedShape is { } s && s != header.Shape)) uniform = false;
                    fixedShape ??= header.Shape;
                    if ((i + 1) % 256 == 0) progress?.Report(i + 1);
                }
                if (current is { Samples: > 0 }) shards.Add(Finish(current));
                current = null;
                Task.WaitAll([.. _pending]);
            }
            catch
            {
                current?.Dispose();
                try { Task.WaitAll([.. _pending]); }
                catch (AggregateException) { } // the first failure is the one reported
                throw;
            }
            finally { progress?.Report(ids.Length); }
            return (shards, ids, labels, uniform ? fixedShape : null);
        }

        /// <summary>Closes a shard, names it after its content, and stores it in the background (unless an earlier run did).</summary>
        private ShardEntry Finish(TarFile shard)
        {
            var (crc, bytes) = shard.Close();
            var entry = new ShardEntry($"shard-{Path.GetFileNameWithoutExtension(shard.Path)}-{crc:x8}.tar", shard.Samples, bytes, crc);
            // Surface a failed upload now rather than after writing every other shard.
            foreach (var done in _pending.Where(t => t.IsFaulted)) done.GetAwaiter().GetResult();
            _uploads.Wait(cancel);
            _pending.Add(Task.Run(() =>
            {
                try
                {
                    if (location.Exists(entry.Name, entry.Bytes, cancel)) Interlocked.Increment(ref _reused);
                    else
                    {
                        location.Upload(shard.Path, entry.Name, cancel);
                        Interlocked.Increment(ref _stored);
                    }
                }
                finally
                {
                    File.Delete(shard.Path);
                    _uploads.Release();
                }
            }, cancel));
            return entry;
        }
    }

    /// <summary>A shard being written: tar members appended through a buffer, its CRC-32 computed on the way.</summary>
    private sealed class TarFile(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        private readonly Crc32 _crc = new();
        private readonly byte[] _header = new byte[Tar.Block];
        private static readonly byte[] Zeros = new byte[2 * Tar.Block];

        public string Path { get; } = path;

        public long Bytes { get; private set; }

        public int Samples { get; set; }

        /// <summary>Bytes a member of <paramref name="length"/> takes: its header, its data, the padding.</summary>
        public static long Size(long length) => Tar.Block + length + Tar.Padding(length);

        public void Add(string name, ReadOnlySpan<byte> data)
        {
            Tar.WriteHeader(_header, name, data.Length);
            Append(_header);
            Append(data);
            Append(Zeros.AsSpan(0, Tar.Padding(data.Length)));
        }

        /// <summary>Writes the end-of-archive blocks and closes the file.</summary>
        public (uint Crc, long Bytes) Close()
        {
            Append(Zeros);
            _stream.Dispose();
            return (_crc.GetCurrentHashAsUInt32(), Bytes);
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            _stream.Write(bytes);
            _crc.Append(bytes);
            Bytes += bytes.Length;
        }

        public void Dispose() => _stream.Dispose();
    }
}
