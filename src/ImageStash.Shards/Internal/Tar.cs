using System.Numerics;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ImageStash.Shards.Internal;

/// <summary>
/// The ustar format as shard files use it (POSIX.1-1988; docs/formats/shards.md): a 512-byte header per member,
/// the member's bytes, zeros to the next 512-byte boundary, and two zero blocks at the end. Headers ImageStash writes
/// carry mode 0644, owner 0, time 0 (so the same samples always make the same bytes) and names under 100 bytes.
/// Reading also takes what Python's tarfile writes: PAX ('x') headers for long names or sizes, GNU 'L' long names.
/// </summary>
internal static class Tar
{
    public const int Block = 512;

    /// <summary>Writes a regular file's header for <paramref name="name"/> of <paramref name="size"/> bytes.</summary>
    public static void WriteHeader(Span<byte> header, string name, long size)
    {
        header[..Block].Clear();
        int written = Encoding.UTF8.GetBytes(name, header[..100]);
        if (written >= 100) throw new ArgumentException($"Member name '{name}' is too long for a ustar header.", nameof(name));
        Octal(header.Slice(100, 8), 420); // mode 0644
        Octal(header.Slice(108, 8), 0);
        Octal(header.Slice(116, 8), 0);
        Octal(header.Slice(124, 12), size);
        Octal(header.Slice(136, 12), 0);
        header[156] = (byte)'0';
        "ustar\0"u8.CopyTo(header[257..]);
        "00"u8.CopyTo(header[263..]);
        header.Slice(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in header[..Block]) sum += b;
        Octal(header.Slice(148, 7), sum);
        header[155] = (byte)' ';
    }

    /// <summary>Zero bytes after a member of <paramref name="size"/> bytes, to the next block.</summary>
    public static int Padding(long size) => (int)((Block - size % Block) % Block);

    /// <summary>One parsed header: a member's name, size, type and where its bytes start.</summary>
    public readonly record struct Member(string Name, long Size, byte Type, long DataOffset);

    /// <summary>
    /// Reads a header block. Returns false at the end-of-archive (a zero block). PAX and GNU long-name headers are
    /// applied to the member after them, whose record is returned.
    /// </summary>
    /// <exception cref="InvalidDataException">The block is not a valid header (its checksum or size field is wrong).</exception>
    public static bool TryParse(ReadOnlySpan<byte> header, long offset, out Member member)
    {
        member = default;
        if (header.IndexOfAnyExcept((byte)0) < 0) return false;
        long checksum = ParseOctal(header.Slice(148, 8), "checksum", offset);
        // The unsigned sum of the block with the checksum field read as spaces.
        long sum = ByteSum(header[..Block]) - ByteSum(header.Slice(148, 8)) + 8 * ' ';
        if (sum != checksum) throw new InvalidDataException($"the tar header at byte {offset:N0} has checksum {checksum}, its bytes sum to {sum}");
        // Base-256 (GNU): the top bit marks it; a set sign bit (0xFF) is a negative size, refused below.
        long size = header[124] >= 0x80
            ? header[124] == 0x80 && header.Slice(125, 3).IndexOfAnyExcept((byte)0) < 0 ? BinaryPrimitives.ReadInt64BigEndian(header.Slice(128, 8)) : -1
            : ParseOctal(header.Slice(124, 12), "size", offset);
        if (size < 0) throw new InvalidDataException($"the tar header at byte {offset:N0} gives size {size}");
        string name = CString(header[..100]);
        if (header.Slice(257, 5).SequenceEqual("ustar"u8) && header[345] != 0) name = CString(header.Slice(345, 155)) + "/" + name;
        member = new Member(name, size, header[156] == 0 ? (byte)'0' : header[156], offset + Block);
        return true;
    }

    /// <summary>The records of a PAX extended header that matter here: path and size.</summary>
    public static (string? Path, long? Size) ParsePax(ReadOnlySpan<byte> data, long offset)
    {
        string? path = null;
        long? size = null;
        while (data.Length > 0)
        {
            int space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(data[..space]), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= space + 1 || length > data.Length || data[length - 1] != (byte)'\n')
                throw new InvalidDataException($"the PAX header at byte {offset:N0} is malformed");
            var record = Encoding.UTF8.GetString(data[(space + 1)..(length - 1)]);
            int eq = record.IndexOf('=');
            if (eq > 0)
            {
                string key = record[..eq], value = record[(eq + 1)..];
                if (key == "path") path = value;
                else if (key == "size")
                {
                    // Digits only: a sign or an overflow would move the reader backwards or nowhere.
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long s))
                        throw new InvalidDataException($"the PAX header at byte {offset:N0} gives size '{(value.Length > 24 ? value[..24] + "…" : value)}', not a size in bytes");
                    size = s;
                }
            }
            data = data[length..];
        }
        return (path, size);
    }

    /// <summary>The sum of <paramref name="bytes"/> (at most 2,048: the vector lanes are 16-bit), a vector at a time.</summary>
    private static long ByteSum(ReadOnlySpan<byte> bytes)
    {
        System.Diagnostics.Debug.Assert(bytes.Length <= 2048);
        int i = 0;
        long sum = 0;
        if (Vector.IsHardwareAccelerated && bytes.Length >= Vector<byte>.Count)
        {
            var lanes = Vector<ushort>.Zero; // at most 128 steps of at most 510 per lane: no overflow
            for (; i <= bytes.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(bytes[i..]), out var low, out var high);
                lanes += low + high;
            }
            Vector.Widen(lanes, out var lowSums, out var highSums);
            sum = Vector.Sum(lowSums) + (long)Vector.Sum(highSums);
        }
        for (; i < bytes.Length; i++) sum += bytes[i];
        return sum;
    }

    public static string CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static void Octal(Span<byte> field, long value)
    {
        // Digits right-aligned with leading zeros, then a NUL (as GNU tar and Python write them).
        int digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--, value >>= 3) field[i] = (byte)('0' + (value & 7));
        if (value != 0) throw new ArgumentOutOfRangeException(nameof(value), "The value does not fit its tar field.");
        field[digits] = 0;
    }

    private static long ParseOctal(ReadOnlySpan<byte> field, string what, long offset)
    {
        long value = 0;
        bool any = false;
        foreach (byte b in field)
        {
            if (b is (byte)' ' or 0) { if (any) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw new InvalidDataException($"the tar header at byte {offset:N0} has a {what} field that is not octal");
            if (value > (long.MaxValue >> 3)) throw new InvalidDataException($"the tar header at byte {offset:N0} has a {what} field too large");
            value = value * 8 + (b - '0');
            any = true;
        }
        return value;
    }
}
