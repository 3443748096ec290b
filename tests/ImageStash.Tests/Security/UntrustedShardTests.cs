using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using ImageStash.Shards;
using ImageStash.Shards.Internal;
using ImageStash.Tests.Cli;
using static ImageStash.Tests.Shards.ShardTestData;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, parts 3 and 5: shard parsers that can't loop or blow up. Tar sizes are checked for sign and overflow (a
/// member always moves the reader forward); index.json and the ids file are refused by size before they are read.
/// </summary>
public sealed class UntrustedShardTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A tar of one PAX header giving <paramref name="paxSize"/>, then a member named a.json of 16 bytes.</summary>
    internal static byte[] TarWithPaxSize(string paxSize)
    {
        string record = $" size={paxSize}\n";
        int length = record.Length + 1;
        if ((length + record.Length).ToString().Length > 1) length = (length.ToString().Length + record.Length);
        record = length + record;
        var pax = Encoding.ASCII.GetBytes(record);
        var tar = new byte[512 * 6];
        Tar.WriteHeader(tar, "PaxHeaders/a.json", pax.Length);
        tar[156] = (byte)'x';
        Rechecksum(tar.AsSpan(0, 512));
        pax.CopyTo(tar, 512);
        Tar.WriteHeader(tar.AsSpan(1024), "a.json", 16);
        return tar;
    }

    /// <summary>Recomputes a header's checksum after a field was changed.</summary>
    internal static void Rechecksum(Span<byte> header)
    {
        header.Slice(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in header[..512]) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ", header.Slice(148, 8));
    }

    private static InvalidDataException Scan(byte[] tar)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, tar);
            using var handle = File.OpenHandle(path);
            var scan = Task.Run(() => ShardTable.Scan(handle, "evil.tar", computeCrc: true));
            Assert.True(scan.Wait(TimeSpan.FromSeconds(10)) || scan.IsFaulted, "the scan should end, not loop");
            return Assert.IsType<InvalidDataException>(scan.Exception?.InnerException);
        }
        catch (AggregateException e) { return Assert.IsType<InvalidDataException>(e.InnerException); }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("-1024", "not a size in bytes")]
    [InlineData("-0", "not a size in bytes")]
    [InlineData("+512", "not a size in bytes")]
    [InlineData("9223372036854775807", "past the file's end")]
    [InlineData("9223372036854775808", "not a size in bytes")]
    [InlineData("1e3", "not a size in bytes")]
    public void A_pax_size_with_a_sign_or_past_the_file_is_refused(string size, string message)
    {
        var e = Scan(TarWithPaxSize(size));
        Assert.Contains("evil.tar", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Header_sizes_in_base_256_or_overflowing_octal_are_refused()
    {
        var tar = new byte[512 * 4];
        Tar.WriteHeader(tar, "a.json", 16);
        // The member's own header: a negative base-256 size, then a maximal one.
        var header = tar.AsSpan(0, 512);
        header.Slice(124, 12).Fill(0xFF);
        Rechecksum(header);
        Assert.Contains("gives size", Scan(tar).Message);
        header.Slice(124, 12).Clear();
        header[124] = 0x80;
        header.Slice(128, 8).Fill(0x7F);
        Rechecksum(header);
        Assert.Contains("past the file's end", Scan(tar).Message);
        header.Slice(124, 12).Fill((byte)'7');
        header.Slice(136, 12).Fill((byte)'7'); // mtime: 12 digits still fit; size's 12 with no NUL neither overflow
        Rechecksum(header);
        Assert.Contains("past the file's end", Scan(tar).Message);
    }

    [Fact]
    public void A_shard_set_with_a_negative_pax_size_ends_in_one_line()
    {
        using (var source = RawStore(_dir.Path, 40)) ShardWriter.Write(source, _dir.File("set"), Small(shardSize: 1 << 20));
        string set = _dir.File("set");
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(set, ShardIndex.FileName)))!;
        var shard = index["shards"]![0]!;
        // The 3 KB shard, made consistent with its index (size and CRC), as a forger would.
        var evil = TarWithPaxSize("-1024");
        File.WriteAllBytes(Path.Combine(set, shard["name"]!.GetValue<string>()), evil);
        shard["bytes"] = evil.Length;
        shard["samples"] = 1;
        index["samples"] = 1;
        shard["crc32"] = Crc32.HashToUInt32(evil).ToString("x8");
        File.WriteAllText(Path.Combine(set, ShardIndex.FileName), index.ToJsonString());
        foreach (var args in new[] { new[] { "verify", set, "--deep" }, ["export", set, _dir.File("out")] })
        {
            var (exit, _, err) = CliRunner.Run(args);
            Assert.True(exit == 1, err);
            Assert.True(err.Trim().Split('\n').Length == 1, err);
        }
    }

    [Fact]
    public void A_sparse_gigabyte_index_is_refused_without_reading_it()
    {
        string set = _dir.File("sparse");
        Directory.CreateDirectory(set);
        using (var f = File.Create(Path.Combine(set, ShardIndex.FileName))) f.SetLength(1L << 30); // 0 bytes on disk
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (exit, _, err) = CliRunner.Run("info", set);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1, exit);
        Assert.True(err.Contains("index.json is 1,073,741,824 bytes, more than the 16,777,216 it can be"), err);
        Assert.True(allocated < 64 << 20, $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void An_ids_file_larger_than_its_samples_take_is_refused_before_it_is_read()
    {
        using (var source = RawStore(_dir.Path, 40)) ShardWriter.Write(source, _dir.File("set"), Small(shardSize: 1 << 20));
        string set = _dir.File("set");
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(set, ShardIndex.FileName)))!;
        string ids = Path.Combine(set, index["ids"]!["name"]!.GetValue<string>());
        using (var f = File.OpenWrite(ids)) f.SetLength(1L << 30);
        var e = Assert.Throws<InvalidDataException>(() => new ShardSetStore(set));
        Assert.Contains("more than the 66,185 it can be", e.Message); // 10 + 65,535 + 40 × 16

        index["ids"]!["bytes"] = 1L << 30; // the index agrees with the file: still refused, by what 40 samples take
        File.WriteAllText(Path.Combine(set, ShardIndex.FileName), index.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => new ShardSetStore(set));
        Assert.Contains("more than the 66,185 its 40 samples take", e.Message);

        index["shards"]![0]!["samples"] = 1L << 40; // and sample counts their shards' bytes can't hold are lies
        File.WriteAllText(Path.Combine(set, ShardIndex.FileName), index.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => new ShardSetStore(set));
        Assert.Contains("samples in", e.Message);
    }
}
