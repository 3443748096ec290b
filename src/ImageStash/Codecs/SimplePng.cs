using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace ImageStash.Codecs;

/// <summary>
/// PNG for the stores' own files: 8-bit grey, RGB or RGBA, not interlaced — exactly what ImageStash writes.
/// Encoding picks a filter per row (least sum of absolute values, as libpng does) and deflates with zlib level 6;
/// decoding checks every chunk CRC and the zlib checksum. It exists because the PNG store's reads need a decoder
/// that allocates nothing and beats SkiaSharp's on small images; encoding is on par with SkiaSharp's
/// (benchmarks/results/micro, PngCodecBenchmarks).
/// Other PNGs (palette, 16-bit, interlaced) are left to <see cref="SkiaCodec"/>.
/// </summary>
internal static class SimplePng
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    public static unsafe byte[] Encode(ReadOnlySpan<byte> pixels, ImageShape shape)
    {
        int w = shape.Width, h = shape.Height, c = shape.Channels;
        int stride = w * c;
        byte[] filtered = ArrayPool<byte>.Shared.Rent((stride + 1) * h);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(stride);
        try
        {
            zeros.AsSpan(0, stride).Clear(); // the row above the first is all zeros
            fixed (byte* src = pixels)
            fixed (byte* dst = filtered)
            fixed (byte* zero = zeros)
                for (int y = 0; y < h; y++)
                {
                    byte* row = src + y * stride;
                    byte* outRow = dst + y * (stride + 1);
                    outRow[0] = (byte)FilterRow(row, y > 0 ? row - stride : zero, c, stride, outRow + 1);
                }
            var output = new MemoryStream(64 + stride * h / 2);
            output.Write(Signature);
            Span<byte> ihdr = stackalloc byte[13];
            BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
            BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], h);
            ihdr[8] = 8;
            ihdr[9] = c switch { 1 => 0, 3 => 2, _ => 6 };
            ihdr[10] = ihdr[11] = ihdr[12] = 0;
            WriteChunk(output, "IHDR"u8, ihdr);
            WriteChunk(output, "IDAT"u8, Zlib.Compress(filtered.AsSpan(0, (stride + 1) * h)));
            WriteChunk(output, "IEND"u8, []);
            return output.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(filtered);
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    /// <summary>Reads the IHDR of a PNG: size, channels and whether this decoder handles it.</summary>
    /// <returns>False when the bytes are not a PNG; <paramref name="simple"/> is false for PNGs Skia must decode.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> png, out int width, out int height, out int channels, out bool simple)
    {
        width = height = channels = 0;
        simple = false;
        if (png.Length < 33 || !png[..8].SequenceEqual(Signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8)) return false;
        width = BinaryPrimitives.ReadInt32BigEndian(png[16..]);
        height = BinaryPrimitives.ReadInt32BigEndian(png[20..]);
        int depth = png[24], colour = png[25], interlace = png[28];
        channels = colour switch { 0 => 1, 2 => 3, 6 => 4, _ => 0 };
        simple = depth == 8 && channels > 0 && interlace == 0 && png[26] == 0 && png[27] == 0;
        return true;
    }

    /// <summary>Decodes a simple PNG (see <see cref="TryReadHeader"/>) of the given shape into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidDataException">A chunk CRC fails, the data is truncated, or the zlib stream is damaged.</exception>
    public static void Decode(ReadOnlySpan<byte> png, Span<byte> destination, ImageShape shape, string what)
    {
        int stride = shape.Width * shape.Channels, c = shape.Channels;
        int expected = (stride + 1) * shape.Height;
        byte[] idat = ArrayPool<byte>.Shared.Rent(png.Length);
        byte[] raw = ArrayPool<byte>.Shared.Rent(expected + 1);
        try
        {
            int idatLength = GatherIdat(png, idat, what);
            int got;
            try { got = Zlib.Decompress(idat.AsSpan(0, idatLength), raw.AsSpan(0, expected + 1)); }
            catch (InvalidDataException e) { throw Damaged(what, $"the compressed pixels are damaged ({e.Message})"); }
            if (got != expected) throw Damaged(what, $"{got} bytes of pixel rows where {expected} were expected");
            Span<byte> zeros = stackalloc byte[stride];
            for (int y = 0; y < shape.Height; y++)
                UnfilterRow(raw.AsSpan(y * (stride + 1), stride + 1), destination.Slice(y * stride, stride),
                    y > 0 ? destination.Slice((y - 1) * stride, stride) : zeros, c, y, what);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(idat);
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>Checks every chunk's CRC and copies the IDAT chunks' data, in order, into <paramref name="idat"/>.</summary>
    /// <returns>The bytes of compressed pixel data.</returns>
    private static int GatherIdat(ReadOnlySpan<byte> png, byte[] idat, string what)
    {
        int idatLength = 0;
        for (int at = 8; at + 12 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png[at..]);
            if (length < 0 || at + 12L + length > png.Length) throw Damaged(what, $"chunk at byte {at} runs past the end of the file");
            var typeAndData = png.Slice(at + 4, 4 + length);
            if (Crc32.HashToUInt32(typeAndData) != BinaryPrimitives.ReadUInt32BigEndian(png[(at + 8 + length)..]))
                throw Damaged(what, $"chunk {System.Text.Encoding.ASCII.GetString(typeAndData[..4])} at byte {at} fails its CRC");
            var type = typeAndData[..4];
            if (type.SequenceEqual("IDAT"u8))
            {
                typeAndData[4..].CopyTo(idat.AsSpan(idatLength));
                idatLength += length;
            }
            else if (type.SequenceEqual("IEND"u8)) return idatLength;
            at += 12 + length;
        }
        throw Damaged(what, "no IEND chunk: the file is truncated");
    }

    /// <summary>
    /// Reads a simple PNG one row at a time: the memory of its compressed data and two rows, not of the image (a
    /// large PNG decoded at a scale, issue 23's decompression bombs).
    /// </summary>
    internal sealed class RowReader : IDisposable
    {
        private readonly byte[] _idat, _raw, _prior;
        private readonly System.IO.Compression.ZLibStream _z;
        private readonly int _stride, _channels, _height;
        private readonly string _what;
        private int _y;

        /// <exception cref="InvalidDataException">A chunk CRC fails or the file is truncated.</exception>
        public RowReader(ReadOnlySpan<byte> png, ImageShape shape, string what)
        {
            (_stride, _channels, _height, _what) = (shape.Width * shape.Channels, shape.Channels, shape.Height, what);
            _idat = ArrayPool<byte>.Shared.Rent(png.Length);
            _raw = ArrayPool<byte>.Shared.Rent(_stride + 1);
            _prior = ArrayPool<byte>.Shared.Rent(_stride);
            _prior.AsSpan(0, _stride).Clear();
            try
            {
                int length = GatherIdat(png, _idat, what);
                _z = new System.IO.Compression.ZLibStream(new MemoryStream(_idat, 0, length, writable: false), System.IO.Compression.CompressionMode.Decompress);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>Unfilters the next row (width × channels bytes) into <paramref name="row"/>; after the last, checks the stream ends there.</summary>
        /// <exception cref="InvalidDataException">The compressed data is damaged or ends early.</exception>
        public void Next(Span<byte> row)
        {
            var raw = _raw.AsSpan(0, _stride + 1);
            if (Inflate(raw) < raw.Length) throw Damaged(_what, $"the pixel rows end at row {_y} of {_height}: the file is truncated");
            UnfilterRow(raw, row[.._stride], _prior.AsSpan(0, _stride), _channels, _y, _what);
            row[.._stride].CopyTo(_prior);
            // Reading past the last row makes the stream check its Adler-32, as the whole-image decode does.
            if (++_y == _height && Inflate(raw[..1]) != 0) throw Damaged(_what, "more pixel rows than the header says");
        }

        private int Inflate(Span<byte> into)
        {
            try { return _z.ReadAtLeast(into, into.Length, throwOnEndOfStream: false); }
            catch (InvalidDataException e) { throw Damaged(_what, $"the compressed pixels are damaged ({e.Message})"); }
        }

        public void Dispose()
        {
            _z?.Dispose();
            ArrayPool<byte>.Shared.Return(_idat);
            ArrayPool<byte>.Shared.Return(_raw);
            ArrayPool<byte>.Shared.Return(_prior);
        }
    }

    /// <summary>
    /// Picks the filter with the least sum of absolute filtered values (libpng's heuristic) in one pass that only
    /// sums, then writes that filter's bytes to <paramref name="output"/>.
    /// </summary>
    private static unsafe int FilterRow(byte* row, byte* prior, int bpp, int stride, byte* output)
    {
        long s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        for (int i = 0; i < stride; i++)
        {
            int x = row[i], a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            s0 += Abs((sbyte)x);
            s1 += Abs((sbyte)(x - a));
            s2 += Abs((sbyte)(x - b));
            s3 += Abs((sbyte)(x - ((a + b) >> 1)));
            s4 += Abs((sbyte)(x - Paeth(a, b, c)));
        }
        int best = 0;
        long min = s0;
        if (s1 < min) { min = s1; best = 1; }
        if (s2 < min) { min = s2; best = 2; }
        if (s3 < min) { min = s3; best = 3; }
        if (s4 < min) best = 4;
        for (int i = 0; i < stride; i++)
        {
            int x = row[i], a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            output[i] = (byte)(best switch { 0 => x, 1 => x - a, 2 => x - b, 3 => x - ((a + b) >> 1), _ => x - Paeth(a, b, c) });
        }
        return best;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Abs(int v)
    {
        int mask = v >> 31;
        return (v ^ mask) - mask;
    }

    /// <summary>Undoes one row's filter: <paramref name="raw"/> is its filter byte and bytes, <paramref name="prior"/> the row above (zeros for the first).</summary>
    private static void UnfilterRow(ReadOnlySpan<byte> raw, Span<byte> row, ReadOnlySpan<byte> prior, int bpp, int y, string what)
    {
        int filter = raw[0], stride = row.Length;
        var src = raw.Slice(1, stride);
        switch (filter)
        {
            case 0:
                src.CopyTo(row);
                break;
            case 1:
                src[..bpp].CopyTo(row);
                for (int i = bpp; i < stride; i++) row[i] = (byte)(src[i] + row[i - bpp]);
                break;
            case 2:
                for (int i = 0; i < stride; i++) row[i] = (byte)(src[i] + prior[i]);
                break;
            case 3:
                for (int i = 0; i < bpp; i++) row[i] = (byte)(src[i] + (prior[i] >> 1));
                for (int i = bpp; i < stride; i++) row[i] = (byte)(src[i] + ((row[i - bpp] + prior[i]) >> 1));
                break;
            case 4:
                for (int i = 0; i < bpp; i++) row[i] = (byte)(src[i] + prior[i]);
                for (int i = bpp; i < stride; i++) row[i] = (byte)(src[i] + Paeth(row[i - bpp], prior[i], prior[i - bpp]));
                break;
            default: throw Damaged(what, $"row {y} has unknown filter type {filter}");
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Paeth(int a, int b, int c)
    {
        // Branch-free: on photos the choice is unpredictable, and mispredicted branches made this the encoder's
        // largest cost (benchmarks/results/2026-12-03-house/from-comments.md).
        int pa = Abs(b - c), pb = Abs(a - c), pc = Abs(a + b - 2 * c);
        int notA = ((pb - pa) | (pc - pa)) >> 31;
        int useC = (pc - pb) >> 31;
        int bc = (b & ~useC) | (c & useC);
        return (a & ~notA) | (bc & notA);
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        type.CopyTo(head[4..]);
        output.Write(head);
        output.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc.GetCurrentHashAsUInt32());
        output.Write(tail);
    }

    private static InvalidDataException Damaged(string what, string why) =>
        new($"{what}: cannot decode image ({why}); the file is damaged or truncated.");
}
