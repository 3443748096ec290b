using System.Security.Cryptography;
using System.Text.Json;
using ImageStash.Loading;
using ImageStash.Shards;
using ImageStash.Tests.Cli;
using ImageStash.Tests.Stores;
using ImageStash.Tools;
using static ImageStash.Tests.Shards.ShardTestData;

namespace ImageStash.Tests.Shards;

/// <summary>Shard sets in a local folder: the round trip, the loader's partitioning and elastic resume, interrupted and replaced writes, damage, and Python reading the shards.</summary>
public sealed class ShardSetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_record_kind_comes_back_exactly(string kind)
    {
        using var source = StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = RecordKinds.Make(kind)) source.Put(batch);
        source.SetClassNames(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        string set = _dir.File("set");
        var result = ShardWriter.Write(source, set, Small(shardSize: 64 << 10));
        Assert.Equal(source.Count, result.Samples);
        using var shards = new ShardSetStore(set);
        Assert.Null(StoreConverter.FindDifference(source, shards));
        Assert.Equal(source.ClassNames, shards.ClassNames);
        using var back = StoreKinds.Create("hdf5", _dir.Path, "back");
        StoreConverter.Convert(shards, back);
        Assert.Null(StoreConverter.FindDifference(source, back));
    }

    public static TheoryData<string> Kinds => [.. RecordKinds.Names];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Every_rank_gets_its_share_once_and_the_same_number_of_batches(int world)
    {
        using var source = RawStore(_dir.Path, 1_000);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 10 << 10)); // ~30 shards of uneven sizes
        using var shards = new ShardSetStore(set);
        Assert.True(shards.Index.Shards.Count > 20);
        var all = new List<long>();
        var batchCounts = new HashSet<int>();
        for (int rank = 0; rank < world; rank++)
        {
            using var loader = new ImageLoader(shards, Options(rank, world));
            var epoch = Epoch(loader);
            batchCounts.Add(epoch.Count);
            Assert.Equal(loader.BatchesPerEpoch, epoch.Count);
            var ids = epoch.SelectMany(b => b).ToList();
            Assert.True(ids.Count - ids.Distinct().Count() <= 1, "a rank repeats at most one sample (to even out batch counts)");
            all.AddRange(ids.Distinct());
        }
        Assert.Single(batchCounts);
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), all.Order());
    }

    [Fact]
    public void Each_epoch_has_its_own_order_and_a_rank_reads_few_shards()
    {
        using var source = RawStore(_dir.Path, 1_000);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 10 << 10));
        using var shards = new ShardSetStore(set);
        using var loader = new ImageLoader(shards, Options(1, 4));
        var first = Epoch(loader).SelectMany(b => b).ToArray();
        var second = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.NotEqual(first, second);
        // A rank's quarter of the epoch lies in about a quarter of the shards (plus the windows at its ends).
        var rows = shards.Index.Shards.Count;
        var touched = first.Select(id => ShardOfId(shards, id)).Distinct().Count();
        Assert.True(touched <= rows / 4 + 2 * shards.Options.ShuffleShards + 1, $"rank 1 of 4 read {touched} of {rows} shards");
    }

    private static int ShardOfId(ShardSetStore store, long id)
    {
        var order = ((IStreamingStore)store).StreamOrder().ToList();
        return store.ShardOf(order.IndexOf(id));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void A_resume_on_another_world_size_gives_every_sample_of_the_epoch_exactly_once(int before, int after)
    {
        using var source = RawStore(_dir.Path, 960);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 10 << 10));
        using var shards = new ShardSetStore(set);
        var seen = new List<long>();
        LoaderState? saved = null;
        for (int rank = 0; rank < before; rank++)
        {
            using var loader = new ImageLoader(shards, Options(rank, before));
            seen.AddRange(Epoch(loader, batches: 9).SelectMany(b => b));
            var state = loader.State;
            Assert.True(saved is null || saved == state, "every rank saves the same state");
            saved = state;
        }
        // Through JSON, as a checkpoint keeps it.
        saved = JsonSerializer.Deserialize<LoaderState>(JsonSerializer.Serialize(saved));
        var batchCounts = new HashSet<long>();
        for (int rank = 0; rank < after; rank++)
        {
            using var loader = new ImageLoader(shards, Options(rank, after), saved);
            var rest = Epoch(loader);
            batchCounts.Add(rest.Count);
            seen.AddRange(rest.SelectMany(b => b));
            Assert.Equal(1, loader.State.Epoch); // the epoch ended: the next starts whole
        }
        Assert.Single(batchCounts);
        var counts = seen.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(960, counts.Count);
        Assert.True(counts.Values.Count(c => c > 1) <= after, "only the at-most-one evening-out repeat per rank");
    }

    [Fact]
    public void A_resume_on_the_same_world_size_continues_exactly_as_if_uninterrupted()
    {
        using var source = RawStore(_dir.Path, 600);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 10 << 10));
        using var shards = new ShardSetStore(set);
        List<long[]> whole;
        using (var loader = new ImageLoader(shards, Options(1, 2))) whole = Epoch(loader);
        LoaderState saved;
        List<long[]> head;
        using (var loader = new ImageLoader(shards, Options(1, 2)))
        {
            head = Epoch(loader, batches: 4);
            saved = loader.State;
        }
        using var resumed = new ImageLoader(shards, Options(1, 2), saved);
        var tail = Epoch(resumed);
        Assert.Equal(whole.SelectMany(b => b), head.Concat(tail).SelectMany(b => b));
    }

    [Fact]
    public void A_resume_with_another_batch_size_seed_or_shuffle_window_is_refused()
    {
        using var source = RawStore(_dir.Path, 200);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small());
        LoaderState saved;
        using (var shards = new ShardSetStore(set))
        using (var loader = new ImageLoader(shards, Options(0, 1)))
        {
            Epoch(loader, batches: 2);
            saved = loader.State;
        }
        using (var shards = new ShardSetStore(set))
        {
            Assert.Contains("batches of 16", Assert.Throws<ArgumentException>(() => new ImageLoader(shards, Options(0, 1, batch: 8), saved)).Message);
            Assert.Contains("seed", Assert.Throws<ArgumentException>(() => new ImageLoader(shards, Options(0, 1, seed: 8), saved)).Message);
        }
        using var wider = new ShardSetStore(set, new ShardSetOptions { ShuffleShards = 4 });
        Assert.Contains("shuffle window", Assert.Throws<ArgumentException>(() => new ImageLoader(wider, Options(0, 1), saved)).Message);
    }

    [Fact]
    public void An_interrupted_write_publishes_nothing_and_a_rerun_stores_only_what_is_missing()
    {
        using var source = RawStore(_dir.Path, 800);
        string set = _dir.File("set");
        Assert.Throws<IOException>(() => ShardWriter.Write(new FailingStore(source, reads: 500), set, Small(shardSize: 16 << 10)));
        Assert.False(File.Exists(Path.Combine(set, "index.json")));
        int left = Directory.GetFiles(set, "shard-*.tar").Length;
        Assert.True(left > 0, "the shards finished before the failure stay, for the re-run");
        var (exit, _, err) = CliRunner.Run("info", set);
        Assert.Equal(1, exit);
        Assert.Contains("holds no index.json", err);
        Assert.Single(err.Trim().Split('\n'));
        var result = ShardWriter.Write(source, set, Small(shardSize: 16 << 10));
        Assert.Equal(left, result.Reused);
        Assert.Equal(result.Shards - left, result.Stored);
        using var shards = new ShardSetStore(set);
        Assert.Null(StoreConverter.FindDifference(source, shards));
        Assert.False(Directory.Exists(Path.Combine(set, ".imagestash-partial")));
    }

    [Fact]
    public void A_replacing_write_keeps_the_old_set_readable_until_it_publishes_then_removes_the_old_files()
    {
        using var first = RawStore(_dir.Path, 300, "first");
        using var second = RawStore(_dir.Path, 500, "second");
        string set = _dir.File("set");
        ShardWriter.Write(first, set, Small());
        var oldFiles = Directory.GetFiles(set).Select(Path.GetFileName).ToHashSet();
        Assert.Throws<IOException>(() => ShardWriter.Write(new FailingStore(second, reads: 400), set, Small()));
        using (var shards = new ShardSetStore(set)) Assert.Null(StoreConverter.FindDifference(first, shards));
        var result = ShardWriter.Write(second, set, Small());
        using (var shards = new ShardSetStore(set)) Assert.Null(StoreConverter.FindDifference(second, shards));
        Assert.True(result.Removed > 0);
        var now = Directory.GetFiles(set).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(["index.json"], now.Intersect(oldFiles));
    }

    [Fact]
    public void An_index_from_a_newer_version_is_refused_with_one_line()
    {
        using var source = RawStore(_dir.Path, 50);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small());
        string index = Path.Combine(set, "index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"version\": 1", "\"version\": 3"));
        var (exit, _, err) = CliRunner.Run("info", set);
        Assert.Equal(1, exit);
        Assert.Contains("newer ImageStash (shard format version 3; this one reads up to 2)", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void A_damaged_shard_is_named_or_its_samples_skipped_and_counted()
    {
        using var source = RawStore(_dir.Path, 400);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 16 << 10));
        using var index = new ShardSetStore(set);
        var victim = index.Index.Shards[3];
        index.Dispose();
        string path = Path.Combine(set, victim.Name);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        using (var shards = new ShardSetStore(set))
        using (var loader = new ImageLoader(shards, Options(0, 1)))
        {
            var e = Assert.Throws<InvalidDataException>(() => Epoch(loader));
            Assert.Contains($"shard '{victim.Name}'", e.Message);
            Assert.Contains("CRC-32", e.Message);
        }
        using (var shards = new ShardSetStore(set))
        {
            var options = Options(0, 1);
            options.SkipDamaged = true;
            using var skipping = new ImageLoader(shards, options);
            var ids = Epoch(skipping).SelectMany(b => b).ToList();
            Assert.Equal(victim.Samples, skipping.Skipped.Count);
            Assert.Equal(400 - victim.Samples, ids.Count);
        }
        var (exit, _, err) = CliRunner.Run("loader-bench", set, "--epochs", "1");
        Assert.Equal(1, exit);
        Assert.Contains(victim.Name, err);
    }

    [Fact]
    public void A_truncated_shard_is_named()
    {
        using var source = RawStore(_dir.Path, 300);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small(shardSize: 16 << 10));
        string victim = Directory.GetFiles(set, "shard-*.tar").Order().Skip(1).First();
        File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..5000]);
        var (exit, _, err) = CliRunner.Run("export", set, _dir.File("out"));
        Assert.Equal(1, exit);
        Assert.Contains(Path.GetFileName(victim), err);
        Assert.Contains("truncated", err);
    }

    [Fact]
    public void Python_tarfile_and_PIL_read_exactly_our_samples()
    {
        using var source = StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = RecordKinds.Make("mixed")) source.Put(batch);
        string set = _dir.File("set");
        ShardWriter.Write(source, set, Small());
        PythonReads(source, set);
    }

    /// <summary>
    /// Python's tarfile reads every shard the index lists; for each sample its label (.cls), JSON and payload, and
    /// PIL decodes encoded payloads to the JSON's size: they must be the source store's, byte for byte.
    /// </summary>
    internal static void PythonReads(IImageStore source, string folder)
    {
        const string script = """
            import hashlib, io, json, os, sys, tarfile
            from PIL import Image
            folder = sys.argv[1]
            index = json.load(open(os.path.join(folder, "index.json")))
            for shard in index["shards"]:
                with tarfile.open(os.path.join(folder, shard["name"])) as tar:
                    samples = {}
                    for member in tar.getmembers():
                        key, ext = member.name.split(".", 1)
                        samples.setdefault(key, {})[ext] = tar.extractfile(member).read()
                for key, files in samples.items():
                    meta = json.loads(files["json"])
                    ext = next(e for e in files if e not in ("json", "cls"))
                    payload = files[ext]
                    if ext != "raw":
                        with Image.open(io.BytesIO(payload)) as image:
                            assert image.size in ((meta["width"], meta["height"]), (meta["height"], meta["width"])), (key, image.size)
                    else:
                        assert len(payload) == meta["height"] * meta["width"] * meta["channels"]
                    print(meta["id"], int(files["cls"]), meta["label"], ext, hashlib.sha256(payload).hexdigest())
            """;
        string file = Path.Combine(folder, "..", "read_shards.py");
        File.WriteAllText(file, script);
        var (exit, output, error) = ChildProcess.Run(ChildProcess.Python, [file, folder]);
        Assert.True(exit == 0, error);
        var lines = output.Trim().Split('\n');
        Assert.Equal(source.Count, lines.Length);
        foreach (string line in lines)
        {
            var f = line.Split(' ');
            long id = long.Parse(f[0]);
            Assert.True(source.TryGetHeader(id, out var header));
            var payload = new byte[header.PayloadLength];
            source.Read(id, payload);
            Assert.Equal(header.Label, int.Parse(f[1]));
            Assert.Equal(header.Label, int.Parse(f[2]));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), f[4]);
        }
    }
}
