using System.Diagnostics;
using ImageStash.Sources;
using ImageStash.Tools;

namespace ImageStash.Bench;

/// <summary>
/// The Real Python article's experiments for every store kind in a registry: store and read one image, store and
/// read many (1 … 100,000), disk use — plus the machine's limit measured in the same run, the way the stores work,
/// so every figure can be read as a multiple of what the hardware allows for that work.
/// </summary>
/// <remarks>
/// Protocol: the source is loaded into memory first and only the operation is timed; a fresh store per run; one
/// untimed warm-up, then <see cref="BenchOptions.Repeat"/> timed runs reported as median, min and max. Every read
/// is compared with the source — a store that returns wrong pixels fails the run.
/// <para>The limits: <see cref="WriteSequential"/> (the stores that keep images in one file: LMDB, HDF5),
/// <see cref="CreateFiles"/> (a store that writes a file per image: the folder store), <see cref="ReadSequential"/>
/// (every store's reads) and <see cref="Memcpy"/> (a reference). <see cref="LimitDescriptions"/> says each in one
/// line. A store that beats its limit means the limit is measured wrongly, not that the store is fast.</para>
/// </remarks>
public static class StoreBenchmark
{
    /// <summary>The pseudo-store of the limit rows.</summary>
    public const string LimitStore = "limit";
    /// <summary>Open a new store, put one image, close.</summary>
    public const string StoreSingle = "store_single";
    /// <summary>Open a store, read one image by id, close.</summary>
    public const string ReadSingle = "read_single";
    /// <summary>Open a new store, put N images in batches of <see cref="BenchOptions.BatchSize"/>, close.</summary>
    public const string StoreMany = "store_many";
    /// <summary>Open a store, read N images into one reused contiguous buffer, close.</summary>
    public const string ReadMany = "read_many";
    /// <summary>Limit: write the same pixels and labels sequentially into one new file, the faster of a plain write
    /// and one into space reserved ahead (fallocate), in batch-sized writes as the stores commit.</summary>
    public const string WriteSequential = "write_sequential";
    /// <summary>Limit: create as many new files, of the same sizes and in the same folders, as a store that writes a
    /// file per image did, on every core.</summary>
    public const string CreateFiles = "create_files";
    /// <summary>Limit: read that file back into the reused buffer.</summary>
    public const string ReadSequential = "read_sequential";
    /// <summary>Limit: copy the pixels from memory into the reused buffer.</summary>
    public const string Memcpy = "memcpy";
    /// <summary>What each limit row measures, in one line each (for reports).</summary>
    public static IReadOnlyDictionary<string, string> LimitDescriptions { get; } = new Dictionary<string, string>
    {
        [WriteSequential] = "the same pixels and labels written sequentially into one new file, in batch-sized writes (the faster of a plain write and one into space reserved ahead): the limit of stores that keep their images in one file",
        [CreateFiles] = "as many new files of the same sizes, in the same folders, as a store that writes a file per image made, created on every core: that store's limit",
        [ReadSequential] = "the same bytes read back from one file in the page cache into the reused buffer: the limit of every store's reads",
        [Memcpy] = "the pixels copied from memory into the reused buffer: the floor under any read",
    };

    /// <summary>Reference: the disk the source's own files take for this many images (<see cref="BenchOptions.DiskReference"/>).</summary>
    public const string SourceFiles = "source_files";

    /// <summary>Runs the experiments on images from <paramref name="source"/>.</summary>
    /// <exception cref="ImageStashException">The source is empty or mixes shapes, a store is unknown, or a store
    /// returned wrong pixels.</exception>
    public static BenchResults Run(IImageSource source, StoreRegistry registry, BenchOptions options,
        IProgress<BenchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var stores = options.Stores ?? registry.Formats;
        foreach (string s in stores) registry.Resolve("", s); // unknown names fail before any work
        var started = DateTime.UtcNow;
        string work = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"imagestash-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(work);
        try
        {
            var data = BenchData.Load(source, options.Counts.Max());
            var run = new Runner(registry, options, data, work, progress, cancellationToken,
                stores.Count * 2 + options.Counts.Count * (4 + stores.Count * 2));
            var rows = run.All(stores);
            return new BenchResults(WithLimitMultiples(rows, rows, run.FilePerImage), MachineInfo.Current(work), source.Description, data.FixedShape,
                options.Repeat, options.Sync, options.BatchSize, started) { Images = data.Summary };
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// <paramref name="rows"/> with their multiples of the limit rows in <paramref name="measured"/> (same count):
    /// writes of the stores in <paramref name="filePerImage"/> against <see cref="CreateFiles"/> where measured, other
    /// writes against <see cref="WriteSequential"/>, reads against <see cref="ReadSequential"/>.
    /// </summary>
    internal static List<BenchRow> WithLimitMultiples(IReadOnlyList<BenchRow> measured, IEnumerable<BenchRow> rows, IReadOnlySet<string>? filePerImage = null)
    {
        double? Limit(string op, int count) => measured.FirstOrDefault(r => r.Store == LimitStore && r.Operation == op && r.Count == count)?.MedianSeconds;
        double? WriteLimit(BenchRow r) => filePerImage?.Contains(r.Store) == true && Limit(CreateFiles, r.Count) is { } files ? files : Limit(WriteSequential, r.Count);
        return [.. rows.Select(r => r.Store == LimitStore ? r : r with
        {
            MultipleOfLimit = (r.Operation is StoreMany or StoreSingle ? WriteLimit(r) : Limit(ReadSequential, r.Count)) is > 0 and var l
                ? r.MedianSeconds / l
                : null,
        })];
    }

    private sealed class Runner(StoreRegistry registry, BenchOptions options, BenchData data, string work,
        IProgress<BenchProgress>? progress, CancellationToken cancel, int totalSteps)
    {
        private readonly List<BenchRow> _rows = [];
        private readonly HashSet<int> _filesMeasured = [];

        /// <summary>The stores that wrote a file per image (their writes are compared with <see cref="CreateFiles"/>).</summary>
        public HashSet<string> FilePerImage { get; } = [];
        private int _done;
        private int _serial;

        public List<BenchRow> All(IReadOnlyList<string> stores)
        {
            if (!options.Counts.Contains(1)) Limits(1);
            foreach (string store in stores) Single(store);
            foreach (int count in options.Counts)
            {
                Limits(count);
                foreach (string store in stores) Many(store, count);
            }
            return _rows;
        }

        private void Single(string store)
        {
            using var one = data.Batches(1, 1).Single();
            string? last = null;
            Step($"{store} {StoreSingle}");
            var write = Time(setup: () =>
            {
                if (last is not null) Delete(last);
                last = NewPath(store, 1);
            }, action: () =>
            {
                using var s = Open(store, last!, StoreOpenMode.CreateNew);
                s.Put(one);
            });
            Add(store, StoreSingle, 1, write);
            Step($"{store} {ReadSingle}");
            var payload = new byte[data.Bytes(1)];
            var read = Time(() =>
            {
                using var s = Open(store, last!, StoreOpenMode.ReadOnly);
                var header = s.Read(0, payload);
                if (header.Label != data.Labels[0] || !payload.AsSpan().SequenceEqual(data.Payload(0)))
                    throw WrongPixels(store, ReadSingle, 1, 0);
            });
            Add(store, ReadSingle, 1, read);
            Delete(last!);
        }

        private void Many(string store, int count)
        {
            var batches = data.Batches(count, options.BatchSize);
            string? last = null;
            try
            {
                Step($"{store} {StoreMany} {count}");
                var write = Time(setup: () =>
                {
                    if (last is not null) Delete(last);
                    last = NewPath(store, count);
                }, action: () =>
                {
                    using var s = Open(store, last!, StoreOpenMode.CreateNew);
                    foreach (var b in batches) s.Put(b);
                });
                var disk = DiskUsage.Of(last!);
                Add(store, StoreMany, count, write, disk);
                if (FilesPerImage(last!, count) is { } files)
                {
                    FilePerImage.Add(store);
                    // The first such store's files set the limit for its count (the built-in stores have one).
                    if (_filesMeasured.Add(count)) CreateFilesLimit(count, files);
                }
            }
            finally
            {
                foreach (var b in batches) b.Dispose();
            }
            Step($"{store} {ReadMany} {count}");
            var ids = data.Ids(count);
            var read = Time(() =>
            {
                using var s = Open(store, last!, StoreOpenMode.ReadOnly);
                data.ReadAll(s, ids, count);
            }, verify: () =>
            {
                if (data.FirstWrong(count) is var wrong and >= 0) throw WrongPixels(store, ReadMany, count, wrong);
            });
            Add(store, ReadMany, count, read, DiskUsage.Of(last!));
            Delete(last!);
        }

        private void Limits(int count)
        {
            long bytes = data.Bytes(count);
            string file = Path.Combine(work, $"limit-{count}.bin");
            Step($"{LimitStore} {count}");
            // Deleting the last run's file is setup: truncating 300 MB in place would be charged to the limit.
            // Written as the stores write: a commit per batch; a plain write, and one into blocks reserved ahead (the
            // HDF5 store reserves; page-cache writes into reserved blocks skip ext4's per-page delayed allocation).
            double[] Write(bool reserve) => Time(setup: () => File.Delete(file), action: () =>
            {
                using var f = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                var labels = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels.AsSpan(0, count));
                if (reserve) Internal.FileUtil.TryReserve(f.SafeFileHandle, 0, bytes + labels.Length);
                long step = Math.Max(1, bytes / count) * options.BatchSize;
                for (long at = 0; at < bytes; at += step) f.Write(data.Expected.AsSpan((int)at, (int)Math.Min(step, bytes - at)));
                f.Write(labels);
                if (options.Sync) f.Flush(flushToDisk: true);
            });
            var plain = Write(reserve: false);
            var reserved = Write(reserve: true);
            var write = Median(reserved) < Median(plain) ? reserved : plain;
            Step($"{LimitStore} read {count}");
            var read = Time(() =>
            {
                using var handle = File.OpenHandle(file);
                var target = data.ReadBuffer.AsSpan(0, (int)bytes);
                for (int done = 0; done < target.Length;)
                {
                    int n = RandomAccess.Read(handle, target[done..], done);
                    if (n == 0) throw new IOException($"'{file}' ended early.");
                    done += n;
                }
            });
            Step($"{LimitStore} memcpy {count}");
            var copy = Time(() => data.Expected.AsSpan(0, (int)bytes).CopyTo(data.ReadBuffer));
            Add(LimitStore, WriteSequential, count, write, DiskUsage.Of(file));
            Add(LimitStore, ReadSequential, count, read);
            Add(LimitStore, Memcpy, count, copy);
            File.Delete(file);
            if (options.DiskReference is { } folder && options.DiskReferenceImages > 0)
            {
                var all = DiskUsage.Of(folder);
                double share = (double)count / options.DiskReferenceImages;
                Add(LimitStore, SourceFiles, count, [0], new DiskUsage((long)(all.Allocated * share), (long)(all.Apparent * share)));
            }
        }

        /// <summary>
        /// The files (path under <paramref name="path"/>, length) of a store that wrote a file per image: a folder
        /// holding more files than images plus one (an index beside them); null for any other store.
        /// </summary>
        private static List<(string Path, int Length)>? FilesPerImage(string path, int count)
        {
            if (!Directory.Exists(path)) return null;
            var files = new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories)
                .Select(f => (Path: System.IO.Path.GetRelativePath(path, f.FullName), Length: (int)Math.Min(f.Length, int.MaxValue))).ToList();
            return files.Count > count + 1 ? files : null;
        }

        /// <summary>Creates the same files as new ones, in the same folders, on every core: <see cref="CreateFiles"/>.</summary>
        private void CreateFilesLimit(int count, List<(string Path, int Length)> files)
        {
            Step($"{LimitStore} files {count}");
            var content = new byte[Math.Max(1, files.Max(f => f.Length))];
            for (int at = 0; at < content.Length; at += data.Expected.Length)
                data.Expected.AsSpan(0, Math.Min(data.Expected.Length, content.Length - at)).CopyTo(content.AsSpan(at));
            var folders = files.Select(f => System.IO.Path.GetDirectoryName(f.Path) ?? "").Distinct().ToList();
            string? root = null;
            var times = Time(setup: () =>
            {
                if (root is not null) Delete(root);
                root = NewPath(LimitStore, count);
            }, action: () =>
            {
                foreach (string folder in folders) Directory.CreateDirectory(System.IO.Path.Combine(root!, folder));
                ParallelWork.For(files.Count, i => StoreFiles.WriteNew(System.IO.Path.Combine(root!, files[i].Path), content.AsSpan(0, files[i].Length), options.Sync));
            });
            Add(LimitStore, CreateFiles, count, times, DiskUsage.Of(root!));
            Delete(root!);
        }

        private static double Median(double[] times)
        {
            var sorted = times.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        private static ImageStashException WrongPixels(string store, string operation, int count, int index) =>
            new($"bench: the {store} store returned wrong pixels or label for image {index} in {operation} of {count}; its figures would be meaningless, so the run stops.");

        private IImageStore Open(string store, string path, StoreOpenMode mode) =>
            registry.Open(path, new StoreOptions { Format = store, Mode = mode, SyncWrites = options.Sync });

        private string NewPath(string store, int count) => Path.Combine(work, $"{store}-{count}-{_serial++}");

        private static void Delete(string path)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }

        /// <summary>
        /// One untimed warm-up, then the timed runs. <paramref name="setup"/> runs before each and
        /// <paramref name="verify"/> after each, both off the clock.
        /// </summary>
        private double[] Time(Action action, Action? verify = null, Action? setup = null)
        {
            if (!options.SkipWarmup)
            {
                setup?.Invoke();
                action();
                verify?.Invoke();
            }
            var times = new double[options.Repeat];
            for (int r = 0; r < times.Length; r++)
            {
                cancel.ThrowIfCancellationRequested();
                setup?.Invoke();
                var clock = Stopwatch.StartNew();
                action();
                clock.Stop();
                times[r] = clock.Elapsed.TotalSeconds;
                verify?.Invoke();
            }
            return times;
        }

        private void Add(string store, string operation, int count, double[] times, DiskUsage disk = default)
        {
            Array.Sort(times);
            double median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
            _rows.Add(new BenchRow(store, operation, count, median, times[0], times[^1], times.Length,
                data.Bytes(count), disk.Allocated, disk.Apparent, null));
        }

        private void Step(string what)
        {
            progress?.Report(new BenchProgress(Math.Min(_done, totalSteps), totalSteps, what));
            _done++;
        }
    }
}
