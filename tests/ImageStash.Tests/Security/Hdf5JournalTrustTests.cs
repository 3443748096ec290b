using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ImageStash.Hdf5.Internal;
using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 1: reading an HDF5 store never writes. A hot journal met by a reader is refused in one line; a
/// writer rolls back only its own file's journal (device and inode in the header), never through a symbolic link and
/// never past the committed length; `verify --repair` rolls back on purpose.
/// </summary>
public sealed class Hdf5JournalTrustTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A journal as an attacker writes it: one record at <paramref name="address"/>, the given committed length.</summary>
    private static byte[] PlantedJournal(long committedLength, long address, byte[] bytes, (ulong Dev, ulong Ino)? owner)
    {
        const ulong txn = 42;
        int headerSize = owner is null ? 32 : 48;
        var journal = new byte[headerSize + (bytes.Length == 0 ? 0 : 24 + bytes.Length)];
        var h = journal.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(h, owner is null ? 0x314E524A35484953UL : 0x324E524A35485349UL); // format 1 as its writer spelled it; "ISH5JRN2"
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], txn);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], committedLength);
        if (owner is { } o)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], o.Dev);
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], o.Ino);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(h[(headerSize - 8)..], Crc32.HashToUInt32(h[..(headerSize - 8)]));
        if (bytes.Length == 0) return journal;
        var r = h[headerSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(r, txn);
        BinaryPrimitives.WriteInt64LittleEndian(r[8..], address);
        BinaryPrimitives.WriteInt32LittleEndian(r[16..], bytes.Length);
        bytes.CopyTo(r[24..]);
        var crc = new Crc32();
        crc.Append(r[..20]);
        crc.Append(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(r[20..], crc.GetCurrentHashAsUInt32());
        return journal;
    }

    private static (ulong, ulong) IdentityOf(string path)
    {
        using var h = File.OpenHandle(path);
        return JournaledFile.Identity(h);
    }

    private string SmallStore(string name)
    {
        string path = _dir.File(name);
        var (exit, _, err) = CliRunner.Run("import", "synthetic:20:8x8", path);
        Assert.True(exit == 0, err);
        return path;
    }

    [Theory]
    [InlineData(false)] // the issue's 76-byte journal (format 1)
    [InlineData(true)] // the same in format 2, naming the victim's own device and inode
    public void Info_through_a_symlink_with_a_planted_journal_changes_nothing(bool identity)
    {
        string victim = _dir.File("victim.txt");
        var original = Encoding.ASCII.GetBytes(new string('v', 200));
        File.WriteAllBytes(victim, original);
        Directory.CreateDirectory(_dir.File("evil"));
        string store = _dir.File("evil/data.h5");
        File.CreateSymbolicLink(store, victim);
        var payload = Encoding.ASCII.GetBytes("echo PWNED\n#########");
        File.WriteAllBytes(store + ".journal", PlantedJournal(40, 0, payload, identity ? IdentityOf(victim) : null));

        foreach (var args in new[] { new[] { "info", store }, ["get", store, "0"], ["import", "synthetic:2:8x8", store] })
        {
            var (exit, output, err) = CliRunner.Run(args);
            Assert.Equal(1, exit);
            Assert.True(err.Trim().Split('\n').Length == 1, err);
            Assert.Equal(original, File.ReadAllBytes(victim));
            if (args[0] != "import") Assert.True(err.Contains("has an unfinished commit: open it for writing, or run `imagestash verify --repair`"), err);
            else Assert.Contains("symbolic link", err);
        }
    }

    [Fact]
    public void A_planted_empty_journal_beside_a_real_store_deletes_nothing()
    {
        string store = SmallStore("real.h5");
        var before = File.ReadAllBytes(store);
        File.WriteAllBytes(store + ".journal", PlantedJournal(0, 0, [], null)); // the issue's 32-byte journal
        Assert.Equal(32, new FileInfo(store + ".journal").Length);

        var (exit, _, err) = CliRunner.Run("info", store);
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: store '{store}' has an unfinished commit: open it for writing, or run `imagestash verify --repair`.", err.Trim());
        var e = Assert.Throws<ImageStashException>(() => Stores.StoreKinds.Registry.OpenRead(store));
        Assert.Equal(ImageStashError.UnfinishedCommit, e.Error);

        // A writer does not apply a journal that cannot name the file (format 1) or names another one.
        foreach (var journal in new[] { PlantedJournal(0, 0, [], null), PlantedJournal(0, 0, [], (1, 2)) })
        {
            File.WriteAllBytes(store + ".journal", journal);
            (exit, _, err) = CliRunner.Run("verify", store, "--repair");
            Assert.Equal(1, exit);
            Assert.Contains("has a journal that is not its own", err);
            Assert.Equal(before, File.ReadAllBytes(store));
        }

        // Nor one whose record reaches past the committed length, even with the right identity.
        File.WriteAllBytes(store + ".journal", PlantedJournal(100, 90, new byte[20], IdentityOf(store)));
        (exit, _, err) = CliRunner.Run("import", "synthetic:2:8x8", store);
        Assert.Equal(1, exit);
        Assert.Contains("a record reaches past the committed length", err);
        Assert.Equal(before, File.ReadAllBytes(store));

        // Nor one whose committed length lies past the file's end with no record for the bytes between: a rollback
        // writes past the end only to put back what the writer cut off.
        File.WriteAllBytes(store + ".journal", PlantedJournal(before.Length + 4096, before.Length, new byte[64], IdentityOf(store)));
        (exit, _, err) = CliRunner.Run("verify", store, "--repair");
        Assert.Equal(1, exit);
        Assert.Contains($"its committed length ({before.Length + 4096}) is past the file's end ({before.Length}) and no record holds the bytes from {before.Length + 64}", err);
        Assert.Equal(before, File.ReadAllBytes(store));
    }

    [Fact]
    public void A_writer_that_shrank_the_file_is_rolled_back_to_its_full_length()
    {
        string store = SmallStore("shrunk.h5");
        var committed = File.ReadAllBytes(store);
        var file = new JournaledFile(store, FileMode.Open, writable: true) { Eoa = committed.Length - 1000 };
        file.Truncate(); // journals the 1,000 bytes it cuts off
        file.CloseData();
        file.CloseJournal();
        Assert.Equal(committed.Length - 1000, new FileInfo(store).Length);
        var (code, output, error) = CliRunner.Run("verify", store, "--repair");
        Assert.True(code == 0, error + output);
        Assert.Equal(committed, File.ReadAllBytes(store));
    }

    [Fact]
    public void A_real_unfinished_commit_is_refused_by_readers_and_rolled_back_by_verify_repair()
    {
        string store = SmallStore("hot.h5");
        var committed = File.ReadAllBytes(store);
        // A writer that died mid-commit: old bytes journaled, the superblock overwritten, the file grown.
        var file = new JournaledFile(store, FileMode.Open, writable: true) { Eoa = committed.Length + 4096 };
        file.Write(0, new byte[64]);
        file.Write(committed.Length, new byte[4096]);
        file.CloseData();
        file.CloseJournal();
        var hot = File.ReadAllBytes(store);
        Assert.NotEqual(committed, hot);

        foreach (var args in new[] { new[] { "info", store }, ["verify", store], ["export", store, _dir.File("out")] })
        {
            var (exit, _, err) = CliRunner.Run(args);
            Assert.Equal(1, exit);
            Assert.Contains("has an unfinished commit", err);
            Assert.Equal(hot, File.ReadAllBytes(store));
        }
        Assert.False(Directory.Exists(_dir.File("out")) && Directory.EnumerateFileSystemEntries(_dir.File("out")).Any());

        var (code, output, error) = CliRunner.Run("verify", store, "--repair");
        Assert.True(code == 0, error + output);
        Assert.Equal(committed, File.ReadAllBytes(store));
        Assert.False(JournaledFile.IsHot(store));
    }

    [Fact]
    public void A_reader_beside_a_live_writer_reads_and_takes_nothing()
    {
        string store = SmallStore("live.h5");
        using var writer = Stores.StoreKinds.Registry.Open(store, new StoreOptions { Mode = StoreOpenMode.Open });
        Assert.True(StoreWriterLock.IsHeld(store + ".lock"));
        var file = new JournaledFile(store, FileMode.Open, writable: true) { Eoa = 1 << 20 };
        file.Write(1 << 19, new byte[16]); // grows the file only: the committed bytes stay readable
        Assert.True(JournaledFile.IsHot(store));
        using (var reader = Stores.StoreKinds.Registry.OpenRead(store)) Assert.Equal(20, reader.Count);
        file.Commit();
        file.CloseData();
        file.CloseJournal();
    }
}
