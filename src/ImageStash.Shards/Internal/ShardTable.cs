using System.Buffers;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Shards.Internal;

/// <summary>
/// The samples of one shard file, in the order they were written, found by reading the file once from end to end
/// (its CRC-32 computed on the way when asked): for each, its header and where its payload lies.
/// </summary>
internal sealed class ShardTable
{
    /// <summary>One sample: its header (label, shape, encoding, name), payload CRC and where the payload starts.</summary>
    public readonly record struct Sample(ImageHeader Header, uint Crc, long Offset);

    private ShardTable(Sample[] samples, uint crc)
    {
        Samples = samples;
        Crc = crc;
    }

    public Sample[] Samples { get; }

    /// <summary>The CRC-32 of the whole file, when the scan computed it.</summary>
    public uint Crc { get; }

    /// <summary>Reads the file's members and groups them by key: KEY.json, KEY.cls and one payload member per sample.</summary>
    /// <exception cref="InvalidDataException">The file is not a shard (a damaged header, a sample without its JSON or payload, a truncated member); the message names it.</exception>
    public static ShardTable Scan(SafeFileHandle file, string shard, bool computeCrc)
    {
        using var reader = new Sequential(file, computeCrc);
        var samples = new List<Sample>();
        string? key = null;
        byte[]? meta = null;
        (long Offset, long Size, string Extension)? payload = null;
        long offset = 0;
        string? longName = null;
        long? paxSize = null;
        void Close()
        {
            if (key is null) return;
            if (meta is null) throw Bad(shard, $"sample '{key}' has no .json member (ImageStash reads the shards it writes)");
            if (payload is not { } p) throw Bad(shard, $"sample '{key}' has no image member");
            var (header, crc) = SampleMeta.Read(meta, $"'{shard}' member {key}.json");
            if (header.PayloadLength != p.Size) throw Bad(shard, $"sample '{key}': its JSON says {header.PayloadLength:N0} bytes, its {p.Extension} member holds {p.Size:N0}");
            samples.Add(new Sample(header, crc, p.Offset));
            (key, meta, payload) = (null, null, null);
        }
        while (true)
        {
            var block = reader.Read(offset, Tar.Block);
            if (block.Length < Tar.Block) throw Bad(shard, $"it ends at byte {reader.Length:N0}, inside a header (truncated?)");
            Tar.Member member;
            try
            {
                if (!Tar.TryParse(block, offset, out member)) break;
            }
            catch (InvalidDataException e) { throw Bad(shard, e.Message); }
            long size = paxSize ?? member.Size;
            // Compared without adding, so a size near 2^63 cannot overflow into a small or negative end.
            if (size < 0 || size > reader.Length - member.DataOffset)
                throw Bad(shard, $"member '{member.Name}' claims {size:N0} bytes from byte {member.DataOffset:N0}, past the file's end at {reader.Length:N0} (truncated?)");
            long end = member.DataOffset + size;
            string name = longName ?? member.Name;
            (longName, paxSize) = (null, null);
            switch (member.Type)
            {
                case (byte)'x':
                    try { (longName, paxSize) = Tar.ParsePax(reader.Read(member.DataOffset, (int)Math.Min(size, 1 << 20)), member.DataOffset); }
                    catch (InvalidDataException e) { throw Bad(shard, e.Message); }
                    break;
                case (byte)'L':
                    longName = Tar.CString(reader.Read(member.DataOffset, (int)Math.Min(size, 4096)));
                    break;
                case (byte)'0' or (byte)'7':
                    int slash = name.LastIndexOf('/');
                    int dot = name.IndexOf('.', slash + 1);
                    if (dot <= slash + 1) throw Bad(shard, $"member '{name}' has no key.extension name");
                    string memberKey = name[..dot], extension = name[dot..];
                    if (memberKey != key) Close();
                    key = memberKey;
                    if (extension == ".json")
                    {
                        if (size > 1 << 20) throw Bad(shard, $"member '{name}' claims {size:N0} bytes of JSON");
                        meta = reader.Read(member.DataOffset, (int)size).ToArray();
                    }
                    else if (extension is ".jpg" or ".jpeg" or ".png" or ".webp" or ".raw")
                        payload = (member.DataOffset, size, extension);
                    break;
            }
            long next = end + Tar.Padding(size);
            if (next <= offset) throw Bad(shard, $"the member at byte {offset:N0} does not move the reader forward"); // cannot happen: a header is a block
            offset = next;
        }
        Close();
        if (computeCrc) reader.ReadToEnd();
        return new ShardTable([.. samples], reader.Crc);
    }

    private static InvalidDataException Bad(string shard, string what) =>
        new($"shard '{shard}' is damaged: {what}; re-create the shard set with 'imagestash shard'.");

    /// <summary>Reads a file front to back through one pooled buffer, hashing every byte once.</summary>
    private sealed class Sequential(SafeFileHandle file, bool hash) : IDisposable
    {
        // Pooled: a fresh 1 MiB array per shard lands on the large-object heap, which only a full GC frees, and
        // the process then grows with the number of shards it has read. Not ArrayPool.Shared: it keeps a returned
        // array in the returning thread's own slot, and a shard fetched ahead is scanned on a thread of its own that
        // then ends, taking the array with it (a loader over 68 shards of 4 MiB allocated 1 MiB per shard opened,
        // 69 full GCs in 6 epochs). This pool's arrays are shared by all threads.
        private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(maxArrayLength: 1 << 20, maxArraysPerBucket: 16);
        private readonly byte[] _buffer = Buffers.Rent(1 << 20);
        private readonly Crc32? _crc = hash ? new Crc32() : null;
        private byte[]? _gap;
        private long _start, _hashed;
        private int _length;

        public long Length { get; } = RandomAccess.GetLength(file);

        public uint Crc => _crc?.GetCurrentHashAsUInt32() ?? 0;

        /// <summary>Up to <paramref name="count"/> bytes at <paramref name="offset"/> (fewer at the end of the file).</summary>
        public ReadOnlySpan<byte> Read(long offset, int count)
        {
            if (offset < _start || offset + count > _start + _length)
            {
                if (count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
                HashUpTo(offset);
                _start = offset;
                _length = 0;
                while (_length < _buffer.Length)
                {
                    int n = RandomAccess.Read(file, _buffer.AsSpan(_length), _start + _length);
                    if (n == 0) break;
                    _length += n;
                }
            }
            int from = (int)(offset - _start);
            return _buffer.AsSpan(from, (int)Math.Min(count, _length - from));
        }

        public void ReadToEnd() => HashUpTo(Length);

        public void Dispose()
        {
            Buffers.Return(_buffer);
            if (_gap is not null) Buffers.Return(_gap);
        }

        /// <summary>Hashes the bytes before <paramref name="offset"/> not hashed yet: the buffer's, then any gap skipped over.</summary>
        private void HashUpTo(long offset)
        {
            if (_crc is null) return;
            long bufferEnd = _start + _length;
            if (_hashed < bufferEnd && _hashed >= _start)
            {
                long to = Math.Min(offset, bufferEnd);
                if (to > _hashed)
                {
                    _crc.Append(_buffer.AsSpan((int)(_hashed - _start), (int)(to - _hashed)));
                    _hashed = to;
                }
            }
            while (_hashed < offset)
            {
                var gap = _gap ??= Buffers.Rent(1 << 20);
                int n = RandomAccess.Read(file, gap.AsSpan(0, (int)Math.Min(gap.Length, offset - _hashed)), _hashed);
                if (n == 0) break;
                _crc.Append(gap.AsSpan(0, n));
                _hashed += n;
            }
        }
    }
}
