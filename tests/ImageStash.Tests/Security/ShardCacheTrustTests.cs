using ImageStash.Shards;
using ImageStash.Tools;
using ImageStash.Shards.Internal;
using ImageStash.Tests.Shards;
using static ImageStash.Tests.Shards.ShardTestData;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 2: a shard already in the cache is checked like a download (length and CRC-32 against the index);
/// a forgery is fetched again. Cache folders are 0700 and their owner checked; cached shards are 0600.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ShardCacheTrustTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Cache_folders_are_private_and_another_users_is_refused_in_one_line()
    {
        string folder = _dir.File("cache/set");
        Assert.Equal(folder, PrivateFolder.Ensure(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        File.SetUnixFileMode(folder, (UnixFileMode)0x1ED); // 0755, as caches were made before
        PrivateFolder.Ensure(folder);
        Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(folder));

        string link = _dir.File("cache/link");
        Directory.CreateSymbolicLink(link, folder);
        Assert.Contains("is a symbolic link", Assert.Throws<ImageStashException>(() => PrivateFolder.Ensure(link)).Message);

        if (Environment.UserName != "root") return; // giving a folder to another user needs root
        string theirs = _dir.File("cache/theirs");
        Directory.CreateDirectory(theirs);
        Assert.Equal(0, ChildProcess.Run("chown", ["65534", theirs]).Exit);
        var e = Assert.Throws<ImageStashException>(() => PrivateFolder.Ensure(theirs));
        Assert.Equal(ImageStashError.NotWritable, e.Error);
        Assert.Equal($"the shard cache folder '{theirs}' belongs to another user (uid 65534); use a cache folder of your own (IMAGESTASH_CACHE, or ShardSetOptions.CacheDirectory).", e.Message);
        Assert.Contains("belongs to another user", Assert.Throws<ImageStashException>(() => PrivateFolder.Ensure(Path.Combine(theirs, "set"))).Message);
    }

    [Fact]
    public void A_cached_file_that_fails_its_check_is_fetched_again()
    {
        var cache = new ShardCache(_dir.File("cache"), 1L << 30);
        int fetches = 0;
        Action<string> fetch = temp => { fetches++; File.WriteAllBytes(temp, [1, 2, 3]); };
        using (var first = cache.Open("a.tar", fetch)) Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(first.Path)); // 0600
        File.WriteAllBytes(Path.Combine(cache.Directory, "a.tar"), [6, 6, 6]);
        using var replaced = cache.Replace("a.tar", fetch);
        Assert.Equal(2, fetches);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(replaced.Path));
    }
}

/// <summary>The repro over a real S3 server: a consistent forgery put in the cache after one verify.</summary>
[Collection("S3")]
[Trait("Tier", "Full")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ForgedCacheTests(S3Server server) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_forged_shard_in_the_cache_is_never_served()
    {
        var options = Small(shardSize: 1 << 20, s3: server.Options());
        string set = $"s3://{server.NewBucket()}/set";
        using (var source = RawStore(_dir.Path, 50)) ShardWriter.Write(source, set, options);
        // The forgery: the same ids, labels and layout, other pixels — a valid tar with valid per-sample CRCs.
        string forged = _dir.File("forged");
        using (var other = Stores.StoreKinds.Create("lmdb", _dir.Path, "other"))
        {
            using var batch = TestData.Batch(50, new ImageShape(8, 8, 3), seed: 999);
            other.Put(batch);
            other.SetClassNames([.. Enumerable.Range(0, 10).Select(i => $"class-{i}")]);
            ShardWriter.Write(other, forged, Small(shardSize: 1 << 20));
        }
        var reading = new ShardSetOptions { S3 = server.Options(), CacheDirectory = _dir.File("cache") };
        byte[] genuine;
        string cached;
        using (var shards = new ShardSetStore(set, reading))
        {
            Assert.True(StoreVerifier.Verify(shards, deep: true).Clean);
            var name = shards.Index.Shards[0].Name;
            cached = Path.Combine(shards.CacheFolder!, name);
            genuine = File.ReadAllBytes(cached);
            Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(shards.CacheFolder!));
            Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(cached));
            string fakeName;
            using (var fakes = new ShardSetStore(forged)) fakeName = fakes.Index.Shards[0].Name; // names carry a CRC
            var fake = File.ReadAllBytes(Path.Combine(forged, fakeName));
            Assert.NotEqual(genuine, fake);
            File.WriteAllBytes(cached, fake);
        }
        using (var shards = new ShardSetStore(set, reading))
        {
            var pixels = new byte[8 * 8 * 3];
            shards.Read(0, pixels);
            Assert.True(StoreVerifier.Verify(shards, deep: true).Clean);
        }
        Assert.Equal(genuine, File.ReadAllBytes(cached)); // fetched again from the server
    }
}
