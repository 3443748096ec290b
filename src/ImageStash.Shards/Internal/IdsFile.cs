using System.Buffers.Binary;
using System.Text;

namespace ImageStash.Shards.Internal;

/// <summary>
/// The ids file of a shard set: a NumPy .npy file (format 1.0) of int64 little-endian, shape (N, 2) — each sample's
/// id and label, in the order the samples were written, so shard k holds rows [start_k, start_k + samples_k).
/// <c>numpy.load</c> reads it.
/// </summary>
internal static class IdsFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static byte[] Write(ReadOnlySpan<long> ids, ReadOnlySpan<int> labels)
    {
        string dict = $"{{'descr': '<i8', 'fortran_order': False, 'shape': ({ids.Length}, 2), }}";
        int headerLength = 10 + dict.Length + 1;
        int padded = (headerLength + 63) / 64 * 64;
        var bytes = new byte[padded + ids.Length * 16L];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(padded - 10));
        Encoding.ASCII.GetBytes(dict + new string(' ', padded - headerLength) + "\n", bytes.AsSpan(10));
        for (int i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(padded + i * 16), ids[i]);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(padded + i * 16 + 8), labels[i]);
        }
        return bytes;
    }

    /// <summary>The most an ids file of <paramref name="rows"/> rows can take: the largest .npy header and 16 bytes a row.</summary>
    public static long MaxBytes(long rows) => rows < 0 || rows > (long.MaxValue - 65_546) / 16 ? long.MaxValue : 10 + ushort.MaxValue + rows * 16;

    /// <exception cref="InvalidDataException">Not the ids file this library writes, or not of <paramref name="rows"/> rows.</exception>
    public static (long[] Ids, int[] Labels) Read(ReadOnlySpan<byte> bytes, long rows, string where)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic) || bytes[6] != 1)
            throw new InvalidDataException($"{where} is not a NumPy 1.0 file");
        int data = 10 + BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        string header = data <= bytes.Length ? Encoding.ASCII.GetString(bytes[10..data]) : "";
        if (!header.Contains("'<i8'") || !header.Contains($"({rows}, 2)") || rows > (bytes.Length - data) / 16 || bytes.Length - data != rows * 16)
            throw new InvalidDataException($"{where} is not int64 ({rows}, 2): its header is {header.Trim()}");
        var ids = new long[rows];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            ids[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(data + i * 16)..]);
            long label = BinaryPrimitives.ReadInt64LittleEndian(bytes[(data + i * 16 + 8)..]);
            if (ids[i] < 0 || label is < int.MinValue or > int.MaxValue) throw new InvalidDataException($"{where} row {i} holds id {ids[i]}, label {label}");
            labels[i] = (int)label;
        }
        return (ids, labels);
    }
}
