using System.Text;
using ImageStash.Shards;
using ImageStash.Shards.Internal;
using static ImageStash.Tests.Shards.ShardTestData;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23: the tar, index and ids parsers under a few thousand seeded mutations of real files. Each run must end —
/// parsed, or refused with <see cref="InvalidDataException"/> (the index also with a version <see cref="ImageStashException"/>)
/// — never loop, overflow into another exception, or allocate by what a header claims.
/// </summary>
[Trait("Tier", "Full")]
public sealed class ParserFuzzTests(ParserFuzzTests.SetFixture fixture) : IClassFixture<ParserFuzzTests.SetFixture>
{
    private readonly string _set = fixture.Set;
    private readonly TempDir _dir = fixture.Dir;

    /// <summary>One small shard set (60 samples, several shards) for all three parsers.</summary>
    public sealed class SetFixture : IDisposable
    {
        public SetFixture()
        {
            Set = Dir.File("set");
            using var source = RawStore(Dir.Path, 60);
            ShardWriter.Write(source, Set, Small(shardSize: 8 << 10));
        }

        public TempDir Dir { get; } = new();

        public string Set { get; }

        public void Dispose() => Dir.Dispose();
    }

    private static readonly string[] Numbers = ["-1", "-1024", "0", "9223372036854775807", "9223372036854775808", "18446744073709551615", "1e309", "-0", "07777777777777777777777"];

    /// <summary>One to four mutations: a random byte, a digit run or sign in a header's size field, or a cut.</summary>
    private static byte[] Mutate(byte[] original, Random rng, bool tar)
    {
        var bytes = (byte[])original.Clone();
        int length = bytes.Length;
        for (int m = rng.Next(1, 5); m > 0; m--)
        {
            switch (rng.Next(tar ? 4 : 3))
            {
                case 0: bytes[rng.Next(length)] = (byte)rng.Next(256); break;
                case 1: bytes[rng.Next(length)] ^= (byte)(1 << rng.Next(8)); break;
                case 2: length = Math.Max(1, rng.Next(length)); break;
                default:
                    // A header's size field (blocks are 512 bytes; size is at 124, 12 bytes), in octal, base-256 or signed.
                    int at = rng.Next(length / 512) * 512 + 124;
                    if (at + 12 > length) break;
                    var field = rng.Next(3) switch
                    {
                        0 => Encoding.ASCII.GetBytes(Convert.ToString(rng.NextInt64(long.MaxValue), 8).PadLeft(12, '0')[^12..]),
                        1 => [0x80, 0, 0, 0, .. BitConverter.GetBytes(rng.NextInt64()).Reverse()],
                        _ => Encoding.ASCII.GetBytes("-0000001000\0"),
                    };
                    field.CopyTo(bytes, at);
                    UntrustedShardTests.Rechecksum(bytes.AsSpan(at - 124, 512));
                    break;
            }
        }
        return bytes[..length];
    }

    [Fact]
    public void Mutated_shards_are_parsed_or_refused()
    {
        var shards = Directory.GetFiles(_set, "shard-*.tar").Order().Take(3).Select(File.ReadAllBytes).ToArray();
        string path = _dir.File("fuzz.tar");
        int refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            var rng = new Random(i);
            var bytes = Mutate(shards[i % shards.Length], rng, tar: true);
            if (i % 7 == 0) // a PAX header with a hostile size in front of it all
                bytes = [.. UntrustedShardTests.TarWithPaxSize(Numbers[rng.Next(Numbers.Length)])[..1024], .. bytes];
            File.WriteAllBytes(path, bytes);
            using var handle = File.OpenHandle(path);
            try { ShardTable.Scan(handle, "fuzz.tar", computeCrc: i % 2 == 0); }
            catch (InvalidDataException) { refused++; }
        }
        Assert.InRange(refused, 200, 2000);
    }

    [Fact]
    public void Mutated_indexes_are_parsed_or_refused()
    {
        string json = File.ReadAllText(Path.Combine(_set, ShardIndex.FileName));
        var numbers = System.Text.RegularExpressions.Regex.Matches(json, "-?[0-9]+").ToArray();
        int refused = 0;
        for (int i = 0; i < 1500; i++)
        {
            var rng = new Random(i);
            byte[] bytes;
            if (i % 2 == 0)
            {
                var n = numbers[rng.Next(numbers.Length)];
                bytes = Encoding.UTF8.GetBytes(json[..n.Index] + Numbers[rng.Next(Numbers.Length)] + json[(n.Index + n.Length)..]);
            }
            else bytes = Mutate(Encoding.UTF8.GetBytes(json), rng, tar: false);
            try { ShardIndex.Parse(bytes, "fuzz"); }
            catch (InvalidDataException) { refused++; }
            catch (ImageStashException e) when (e.Error == ImageStashError.NotAStore) { refused++; } // "a newer version"
        }
        Assert.InRange(refused, 300, 1500);
    }

    [Fact]
    public void Mutated_ids_files_are_parsed_or_refused()
    {
        using var store = new ShardSetStore(_set);
        var ids = File.ReadAllBytes(Path.Combine(_set, store.Index.Ids.Name));
        int refused = 0;
        for (int i = 0; i < 1500; i++)
        {
            var rng = new Random(i);
            var bytes = Mutate(ids, rng, tar: false);
            if (i % 3 == 0) // a shape in the header that claims more rows
                bytes = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(bytes).Replace("(60, 2)", $"({rng.NextInt64()}, 2)"));
            try { IdsFile.Read(bytes, i % 5 == 0 ? long.MaxValue / 8 : 60, "fuzz"); }
            catch (InvalidDataException) { refused++; }
        }
        Assert.InRange(refused, 300, 1500);
    }
}
