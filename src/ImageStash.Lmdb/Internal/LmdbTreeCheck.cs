using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Lmdb.Internal;

/// <summary>
/// Checks every B-tree page of an LMDB 0.9 file before LMDB follows it. LMDB trusts its pages: a damaged page header
/// or node makes it fail an assertion (abort) or read wild memory, which kills the process and which no exception
/// handler can catch. So the pages reachable from a meta page — the main tree, every named tree, and the extent of
/// every overflow run — are read with positioned reads and checked (page number, flags, bounds of the free space and
/// of every node, child and overflow page numbers within the file, the tree's depth), and a damaged one is refused
/// with its page number. The layout is lmdb.h/mdb.c of 0.9 (docs/formats/lmdb.md).
/// </summary>
internal sealed class LmdbTreeCheck
{
    private const int PageHeader = 16, NodeHeader = 8, MetaOffset = PageHeader;
    private const ushort Branch = 0x01, Leaf = 0x02, Overflow = 0x04, Meta = 0x08, Leaf2 = 0x20, SubPage = 0x40;
    private const ushort BigData = 0x01, SubData = 0x02, DupData = 0x04;
    private const ulong InvalidPage = ulong.MaxValue;
    private const int DbRecord = 48, MaxDepth = 32;

    private readonly SafeFileHandle _file;
    private readonly string _store;
    private readonly int _pageSize;
    private readonly ulong _lastPage;

    private LmdbTreeCheck(SafeFileHandle file, string store, int pageSize, ulong lastPage)
    {
        _file = file;
        _store = store;
        _pageSize = pageSize;
        _lastPage = lastPage;
    }

    /// <summary>Pages checked (for the measured cost in docs/formats/lmdb.md).</summary>
    public long PagesChecked { get; private set; }

    /// <summary>
    /// Checks the trees of the meta page whose transaction id is <paramref name="txnid"/> (a snapshot the caller holds
    /// open, so a writer in another process does not reuse its pages meanwhile), or of the newer one when that is 0.
    /// </summary>
    /// <returns>The number of pages checked.</returns>
    /// <exception cref="InvalidDataException">A page is damaged; the message names the store and the page.</exception>
    public static long Check(string dataFile, string storePath, ulong txnid)
    {
        using var file = File.OpenHandle(dataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> meta0 = stackalloc byte[MetaOffset + 136], meta1 = stackalloc byte[MetaOffset + 136];
        if (RandomAccess.Read(file, meta0, 0) < meta0.Length) throw Damaged(storePath, 0, "the file is shorter than its meta page");
        uint pageSize = BinaryPrimitives.ReadUInt32LittleEndian(meta0[(MetaOffset + 24)..]);
        if (pageSize is < 512 or > 65536 || (pageSize & (pageSize - 1)) != 0) throw Damaged(storePath, 0, $"its page size is {pageSize}");
        bool second = RandomAccess.Read(file, meta1, pageSize) == meta1.Length;
        ulong Txn(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt64LittleEndian(m[(MetaOffset + 128)..]);
        var meta = txnid != 0
            ? (Txn(meta0) == txnid ? meta0 : second && Txn(meta1) == txnid ? meta1 : throw new StaleSnapshotException())
            : second && Txn(meta1) > Txn(meta0) ? meta1 : meta0;
        ulong lastPage = BinaryPrimitives.ReadUInt64LittleEndian(meta[(MetaOffset + 120)..]);
        var check = new LmdbTreeCheck(file, storePath, (int)pageSize, lastPage);
        // mm_dbs[0] is the free-page tree, mm_dbs[1] the main tree, whose leaves name the other trees.
        check.Tree(meta.Slice(MetaOffset + 24, DbRecord), "the free-page tree", namedTrees: false);
        check.Tree(meta.Slice(MetaOffset + 24 + DbRecord, DbRecord), "the main tree", namedTrees: true);
        return check.PagesChecked;
    }

    /// <summary>The snapshot's meta page has been overwritten by newer commits: begin a newer snapshot and check again.</summary>
    public sealed class StaleSnapshotException : Exception;

    private void Tree(ReadOnlySpan<byte> db, string what, bool namedTrees)
    {
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(db[4..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(db[6..]);
        ulong root = BinaryPrimitives.ReadUInt64LittleEndian(db[40..]);
        if (root == InvalidPage) return; // an empty tree
        if ((flags & 0x04) != 0) throw Damaged(_store, root, $"{what} is a duplicate-sorted tree, which ImageStash never writes"); // MDB_DUPSORT
        if (depth is < 1 or > MaxDepth) throw Damaged(_store, root, $"{what} claims depth {depth}");
        var named = new List<byte[]>();
        List<ulong> level = [root];
        for (; depth >= 1; depth--)
        {
            // A tree reaches each page once: more pages than the file holds means damaged children point back into it.
            PagesChecked += level.Count;
            if ((ulong)PagesChecked > _lastPage) throw Damaged(_store, level[0], $"{what} reaches more pages than the file holds");
            level = Level(level, depth, what, namedTrees ? named : null);
        }
        for (int i = 0; i < named.Count; i++) Tree(named[i], $"a named tree of {what}", namedTrees: false);
    }

    /// <summary>
    /// Checks the pages of one level of a tree and returns the next level's, in order. A big level is read on every
    /// core: the time goes into the reads (one system call per page), and the pages do not depend on each other.
    /// </summary>
    private List<ulong> Level(List<ulong> pages, int depth, string what, List<byte[]>? named)
    {
        const int PagesPerPart = 64;
        int parts = (pages.Count + PagesPerPart - 1) / PagesPerPart;
        var children = new List<ulong>[parts];
        var names = new List<byte[]>[parts];
        ParallelWork.For(parts, part =>
        {
            var buffer = new byte[_pageSize];
            (children[part], names[part]) = ([], []);
            for (int i = part * PagesPerPart; i < Math.Min(pages.Count, (part + 1) * PagesPerPart); i++)
                CheckPage(pages[i], depth, what, buffer, children[part], named is null ? null : names[part]);
        }, parallel: parts > 1);
        foreach (var list in names) named?.AddRange(list);
        return parts == 1 ? children[0] : children.SelectMany(c => c).ToList();
    }

    private void CheckPage(ulong pgno, int depth, string what, byte[] buffer, List<ulong> children, List<byte[]>? named)
    {
        var page = Page(pgno, what, buffer);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(page[10..]);
        bool leaf = (flags & Leaf) != 0;
        if ((flags & (Overflow | Meta | Leaf2 | SubPage)) != 0 || leaf == ((flags & Branch) != 0))
            throw Damaged(_store, pgno, $"its flags 0x{flags:x4} in {what} are not those of a branch or leaf page");
        if (leaf != (depth == 1)) throw Damaged(_store, pgno, $"a {(leaf ? "leaf" : "branch")} page at depth {depth} of {what}");
        int lower = BinaryPrimitives.ReadUInt16LittleEndian(page[12..]), upper = BinaryPrimitives.ReadUInt16LittleEndian(page[14..]);
        if (lower < PageHeader || (lower & 1) != 0 || lower > upper || upper > _pageSize)
            throw Damaged(_store, pgno, $"its free space runs from {lower} to {upper} in a {_pageSize}-byte page");
        int keys = (lower - PageHeader) / 2;
        if (keys == 0) throw Damaged(_store, pgno, $"a {(leaf ? "leaf" : "branch")} page with no entries in {what}");
        for (int k = 0; k < keys; k++)
        {
            int at = BinaryPrimitives.ReadUInt16LittleEndian(page[(PageHeader + 2 * k)..]);
            if (at < upper || at > _pageSize - NodeHeader) throw Damaged(_store, pgno, $"entry {k} starts at {at}, outside the page's data ({upper}–{_pageSize})");
            var node = page[at..];
            uint low = BinaryPrimitives.ReadUInt16LittleEndian(node), high = BinaryPrimitives.ReadUInt16LittleEndian(node[2..]);
            ushort nodeFlags = BinaryPrimitives.ReadUInt16LittleEndian(node[4..]);
            int keySize = BinaryPrimitives.ReadUInt16LittleEndian(node[6..]);
            if (at + NodeHeader + keySize > _pageSize) throw Damaged(_store, pgno, $"entry {k}'s {keySize}-byte key runs past the page");
            if (!leaf)
            {
                ulong child = low | (ulong)high << 16 | (ulong)nodeFlags << 32;
                if (child < 2 || child > _lastPage) throw Damaged(_store, pgno, $"entry {k} points at page {child}, outside the file's {_lastPage + 1} pages");
                children.Add(child);
                continue;
            }
            long dataSize = low | (long)high << 16;
            var data = node[(NodeHeader + keySize)..];
            if ((nodeFlags & DupData) != 0) throw Damaged(_store, pgno, $"entry {k} holds duplicate data, which ImageStash never writes");
            if ((nodeFlags & BigData) != 0)
            {
                if (data.Length < 8) throw Damaged(_store, pgno, $"entry {k}'s overflow page number runs past the page");
                OverflowRun(BinaryPrimitives.ReadUInt64LittleEndian(data), dataSize, pgno, k);
            }
            else if (NodeHeader + keySize + dataSize > _pageSize - at)
                throw Damaged(_store, pgno, $"entry {k}'s {dataSize}-byte value runs past the page");
            else if ((nodeFlags & SubData) != 0)
            {
                if (named is null || dataSize != DbRecord) throw Damaged(_store, pgno, $"entry {k} names a tree where none can be");
                named.Add(data[..DbRecord].ToArray());
            }
        }
    }

    /// <summary>
    /// An overflow run must lie inside the file: LMDB copies a value from its first page on for its full length. The
    /// run's own header is not read: readers never look at it (only a writer freeing the run does), and reading it
    /// would mean one read per image.
    /// </summary>
    private void OverflowRun(ulong first, long dataSize, ulong leaf, int entry)
    {
        long pages = (dataSize + PageHeader + _pageSize - 1) / _pageSize;
        if (first < 2 || first > _lastPage || (ulong)pages > _lastPage - first + 1)
            throw Damaged(_store, leaf, $"entry {entry}'s {dataSize:N0}-byte value claims {pages} page(s) from page {first}, outside the file's {_lastPage + 1} pages");
    }

    /// <summary>Page <paramref name="pgno"/> read into <paramref name="buffer"/>, its header's page number checked.</summary>
    private ReadOnlySpan<byte> Page(ulong pgno, string what, byte[] buffer)
    {
        if (pgno < 2 || pgno > _lastPage) throw Damaged(_store, pgno, $"{what} points outside the file's {_lastPage + 1} pages");
        // One read per page: branch and leaf pages lie far apart, between the values' overflow runs.
        if (RandomAccess.Read(_file, buffer, (long)pgno * _pageSize) < _pageSize) throw Damaged(_store, pgno, "the file ends inside it");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        if (stored != pgno) throw Damaged(_store, pgno, $"its header says it is page {stored}");
        return buffer;
    }

    private static InvalidDataException Damaged(string store, ulong pgno, string what) =>
        new($"store '{store}' is damaged: page {pgno} of data.mdb is not a valid LMDB page ({what}); restore the store from a copy, or re-import it.");
}
