using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.S3.Model;
using ImageStash.Loading;
using ImageStash.Tools;
using ImageStash.Shards;
using ImageStash.Tests.Stores;
using static ImageStash.Tests.Shards.ShardTestData;

namespace ImageStash.Tests.Shards;

/// <summary>
/// Shard sets in a real S3 server (Ceph radosgw on 127.0.0.1): the round trip, the gateway dying mid-epoch,
/// damaged and truncated objects, the failures a user meets first (no bucket, wrong keys, no server), half-written
/// sets, elastic resume, two processes sharing one cache, and Python reading what we uploaded.
/// </summary>
[Collection("S3")]
[Trait("Tier", "Full")]
public sealed class S3ShardTests(S3Server server) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string NewSet() => $"s3://{server.NewBucket()}/sets/photos";

    private ShardSetOptions Reading(int prefetch = 2) =>
        new() { S3 = server.Options(), CacheDirectory = _dir.File("cache-" + Guid.NewGuid().ToString("N")[..6]), PrefetchShards = prefetch };

    [Fact]
    public void Every_record_kind_goes_to_S3_and_comes_back_exactly_through_the_loader()
    {
        using var source = StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = RecordKinds.Make("mixed")) source.Put(batch);
        source.SetClassNames(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        string set = NewSet();
        var written = ShardWriter.Write(source, set, Small(s3: server.Options()));
        Assert.Equal(source.Count, written.Samples);

        using var shards = new ShardSetStore(set, Reading());
        Assert.Null(StoreConverter.FindDifference(source, shards));
        Assert.Equal(source.ClassNames, shards.ClassNames);
        Assert.Equal(written.Shards, Directory.GetFiles(shards.CacheFolder!, "*.tar").Length);

        // The loader's batches hold every sample's own pixels, as the source store's loader gives them.
        var options = new LoaderOptions { BatchSize = 4, Size = 24, Seed = 3, Workers = 2 };
        var expected = new Dictionary<long, byte[]>();
        using (var local = new ImageLoader(source, options))
            foreach (var batch in local.NextEpoch())
                for (int i = 0; i < batch.Count; i++) expected[batch.Ids[i]] = batch.Pixels.Slice(i * 24 * 24 * 3, 24 * 24 * 3).ToArray();
        using var loader = new ImageLoader(shards, options);
        int seen = 0;
        foreach (var batch in loader.NextEpoch())
            for (int i = 0; i < batch.Count; i++, seen++)
                Assert.Equal(expected[batch.Ids[i]], batch.Pixels.Slice(i * 24 * 24 * 3, 24 * 24 * 3).ToArray());
        Assert.Equal(source.Count, seen);
    }

    [Fact]
    public async Task The_gateway_killed_and_restarted_mid_epoch_costs_a_wait_and_no_sample()
    {
        using var source = RawStore(_dir.Path, 600);
        string set = NewSet();
        ShardWriter.Write(source, set, Small(shardSize: 16 << 10, s3: server.Options()));
        using var shards = new ShardSetStore(set, Reading(prefetch: 1));
        using var loader = new ImageLoader(shards, Options(0, 1));
        var seen = new List<long>();
        Task? restart = null;
        var outage = Stopwatch.StartNew();
        TimeSpan slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader.NextEpoch())
        {
            slowest = clock.Elapsed > slowest && restart is not null ? clock.Elapsed : slowest;
            seen.AddRange(batch.Ids.ToArray());
            if (seen.Count == 64)
            {
                server.StopGateway();
                outage.Restart();
                restart = Task.Run(() =>
                {
                    Thread.Sleep(2_500);
                    server.StartGateway();
                });
            }
            clock.Restart();
        }
        await restart!;
        Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), seen.Order());
        Assert.True(slowest > TimeSpan.FromSeconds(1.5), $"the loader never waited for the gateway (slowest batch {slowest.TotalSeconds:F2} s): the outage was not tested");
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("truncated")]
    public async Task A_damaged_or_truncated_shard_object_is_named_or_its_samples_skipped_and_counted(string damage)
    {
        using var source = RawStore(_dir.Path, 300);
        string set = NewSet();
        ShardWriter.Write(source, set, Small(shardSize: 16 << 10, s3: server.Options()));
        ShardEntry victim;
        using (var index = new ShardSetStore(set, Reading())) victim = index.Index.Shards[2];
        var (bucket, prefix) = Split(set);
        using (var client = server.Client())
        {
            var bytes = await Get(client, bucket, $"{prefix}/{victim.Name}");
            if (damage == "flipped") bytes[bytes.Length / 3] ^= 0x04;
            else bytes = bytes[..(bytes.Length / 2)];
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"{prefix}/{victim.Name}", InputStream = new MemoryStream(bytes) });
        }
        using (var shards = new ShardSetStore(set, Reading()))
        using (var loader = new ImageLoader(shards, Options(0, 1)))
        {
            var e = Assert.Throws<InvalidDataException>(() => Epoch(loader));
            Assert.Contains($"shard '{victim.Name}' of '{set}' is damaged", e.Message);
            Assert.Contains(damage == "flipped" ? "CRC-32" : "(truncated)", e.Message);
            Assert.DoesNotContain(Path.Combine(shards.CacheFolder!, victim.Name), Directory.GetFiles(shards.CacheFolder!));
        }
        using (var shards = new ShardSetStore(set, Reading()))
        {
            var options = Options(0, 1);
            options.SkipDamaged = true;
            using var skipping = new ImageLoader(shards, options);
            var ids = Epoch(skipping).SelectMany(b => b).ToList();
            Assert.Equal(victim.Samples, skipping.Skipped.Count);
            Assert.Equal(300 - victim.Samples, ids.Distinct().Count());
        }
    }

    [Fact]
    public void No_bucket_wrong_keys_and_no_server_each_fail_in_one_line_with_exit_1_within_seconds()
    {
        using var source = RawStore(_dir.Path, 50);
        string set = NewSet();
        ShardWriter.Write(source, set, Small(s3: server.Options()));
        var env = new Dictionary<string, string>(server.Environment) { ["IMAGESTASH_CACHE"] = _dir.File("cache") };

        void Fails(string url, IDictionary<string, string> environment, string expected)
        {
            var clock = Stopwatch.StartNew();
            var (exit, output, error) = ChildProcess.Cli(environment, "info", url);
            Assert.True(exit == 1, $"exit {exit}: {output}{error}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed.TotalSeconds:F1} s");
            string line = Assert.Single(error.Trim().Split('\n'));
            Assert.StartsWith("imagestash: error: ", line);
            Assert.Contains(expected, line);
        }

        Fails("s3://no-such-bucket-here/x", env, "bucket 'no-such-bucket-here' does not exist");
        Fails(set, new Dictionary<string, string>(env) { ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret" }, "access denied");
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        Fails(set, new Dictionary<string, string>(env) { ["AWS_ENDPOINT_URL"] = $"http://127.0.0.1:{port}" }, $"cannot reach the S3 server at http://127.0.0.1:{port}");
        Assert.Equal(0, ChildProcess.Cli(env, "info", set).Exit);
    }

    [Fact]
    public void A_half_written_set_is_refused_and_a_failed_replacement_leaves_the_old_set_readable()
    {
        using var first = RawStore(_dir.Path, 200, "first");
        using var second = RawStore(_dir.Path, 400, "second");
        string set = NewSet();
        Assert.Throws<IOException>(() => ShardWriter.Write(new FailingStore(first, reads: 120), set, Small(shardSize: 16 << 10, s3: server.Options())));
        var e = Assert.Throws<ImageStashException>(() => new ShardSetStore(set, Reading()));
        Assert.Contains("holds no index.json", e.Message);

        var result = ShardWriter.Write(first, set, Small(shardSize: 16 << 10, s3: server.Options()));
        Assert.True(result.Reused > 0, "the shards the failed write finished are kept and reused");
        Assert.Throws<IOException>(() => ShardWriter.Write(new FailingStore(second, reads: 300), set, Small(shardSize: 16 << 10, s3: server.Options())));
        using (var shards = new ShardSetStore(set, Reading())) Assert.Null(StoreConverter.FindDifference(first, shards));
        ShardWriter.Write(second, set, Small(shardSize: 16 << 10, s3: server.Options()));
        using (var shards = new ShardSetStore(set, Reading())) Assert.Null(StoreConverter.FindDifference(second, shards));
    }

    [Fact]
    public void Two_ranks_resumed_as_three_mid_epoch_read_every_sample_once()
    {
        using var source = RawStore(_dir.Path, 480);
        string set = NewSet();
        ShardWriter.Write(source, set, Small(shardSize: 16 << 10, s3: server.Options()));
        var seen = new List<long>();
        LoaderState? saved = null;
        for (int rank = 0; rank < 2; rank++)
        {
            using var shards = new ShardSetStore(set, Reading());
            using var loader = new ImageLoader(shards, Options(rank, 2));
            seen.AddRange(Epoch(loader, batches: 6).SelectMany(b => b));
            saved = loader.State;
        }
        var batchCounts = new HashSet<int>();
        for (int rank = 0; rank < 3; rank++)
        {
            using var shards = new ShardSetStore(set, Reading());
            using var loader = new ImageLoader(shards, Options(rank, 3), saved);
            var rest = Epoch(loader);
            batchCounts.Add(rest.Count);
            seen.AddRange(rest.SelectMany(b => b));
        }
        Assert.Single(batchCounts);
        var counts = seen.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(480, counts.Count);
        Assert.True(counts.Values.Count(c => c > 1) <= 3, "only the at-most-one evening-out repeat per rank");
    }

    [Fact]
    public async Task Two_processes_share_one_small_cache_and_both_read_every_sample_clean()
    {
        using var source = RawStore(_dir.Path, 1_000);
        string set = NewSet();
        var written = ShardWriter.Write(source, set, Small(shardSize: 16 << 10, s3: server.Options()));
        Assert.True(written.Bytes > 2L << 20, "the set must be bigger than the cache, so that eviction runs while both read");
        string cache = _dir.File("shared-cache");
        var env = new Dictionary<string, string>(server.Environment) { ["IMAGESTASH_CACHE"] = cache, ["IMAGESTASH_CACHE_LIMIT"] = "1MiB" };
        var runs = new[] { 0, 1 }.Select(_ => Task.Run(() => ChildProcess.Cli(env, "verify", set, "--deep"))).ToArray();
        foreach (var (exit, output, error) in await Task.WhenAll(runs))
        {
            Assert.True(exit == 0, $"exit {exit}: {output}{error}");
            Assert.Contains("1,000 images", output);
            Assert.Contains("clean", output);
        }
        var files = Directory.GetFiles(Assert.Single(Directory.GetDirectories(cache)));
        Assert.DoesNotContain(files, f => f.EndsWith(".part"));
        Assert.True(files.Where(f => f.EndsWith(".tar")).Sum(f => new FileInfo(f).Length) <= 1L << 20, "the cache is within its limit once nobody reads");
    }

    [Fact]
    public async Task Python_tarfile_reads_the_shards_we_uploaded()
    {
        using var source = StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = RecordKinds.Make("mixed")) source.Put(batch);
        string set = NewSet();
        ShardWriter.Write(source, set, Small(s3: server.Options()));
        var (bucket, prefix) = Split(set);
        string folder = Directory.CreateDirectory(_dir.File("downloaded")).FullName;
        using (var client = server.Client())
            foreach (var item in (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/" })).S3Objects)
                File.WriteAllBytes(Path.Combine(folder, item.Key[(prefix.Length + 1)..]), await Get(client, bucket, item.Key));
        ShardSetTests.PythonReads(source, folder);
    }

    private static (string Bucket, string Prefix) Split(string url)
    {
        var rest = url["s3://".Length..];
        int slash = rest.IndexOf('/');
        return (rest[..slash], rest[(slash + 1)..]);
    }

    private static async Task<byte[]> Get(Amazon.S3.AmazonS3Client client, string bucket, string key)
    {
        using var response = await client.GetObjectAsync(bucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
