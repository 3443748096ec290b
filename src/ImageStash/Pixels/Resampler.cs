using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageStash.Pixels;

/// <summary>
/// Resizes a rectangle of an HWC image to another size with a triangle (bilinear) filter whose support widens when
/// shrinking, so shrinking is antialiased — the way PIL's <c>resize(..., BILINEAR)</c> works — in two separable
/// passes with 14-bit fixed-point weights: first down the columns of the rectangle (the larger pass, 32 bytes at a
/// time with AVX2), then along the rows that are left (one pixel's channels at a time with SSE4.1). One instance per
/// thread: it keeps its weight tables and intermediate rows, so resizing allocates nothing once warm.
/// </summary>
internal sealed unsafe class Resampler
{
    private const int Bits = 14, One = 1 << Bits, Half = 1 << (Bits - 1);
    private const int Padding = 32; // SIMD loads may read this far past a row's last byte

    [ThreadStatic] private static Resampler? _forThisThread;

    /// <summary>This thread's instance (for code that runs on pool threads).</summary>
    public static Resampler ForThisThread => _forThisThread ??= new Resampler();

    private int[] _xStart = [], _xCount = [], _yStart = [], _yCount = [];
    private int[] _xWeights = [], _yWeights = [];
    private short[] _xPairs = []; // per output column: its (up to) four weights twice, as shorts, for PMADDWD
    private byte[] _columns = [];

    /// <summary>
    /// Resizes the rectangle (<paramref name="x0"/>, <paramref name="y0"/>, <paramref name="cropWidth"/> ×
    /// <paramref name="cropHeight"/>, in source pixels, fractions allowed) of <paramref name="source"/>
    /// (<paramref name="width"/> × <paramref name="height"/> × <paramref name="channels"/>) to
    /// <paramref name="outWidth"/> × <paramref name="outHeight"/> in <paramref name="destination"/>, mirrored
    /// left–right when <paramref name="flip"/>.
    /// </summary>
    public void Resize(ReadOnlySpan<byte> source, int width, int height, int channels,
        double x0, double y0, double cropWidth, double cropHeight,
        Span<byte> destination, int outWidth, int outHeight, bool flip = false)
    {
        if (source.Length < (long)width * height * channels) throw new ArgumentException("The source is smaller than its size says.", nameof(source));
        if (destination.Length < (long)outWidth * outHeight * channels) throw new ArgumentException("The destination is smaller than the output.", nameof(destination));
        int xTaps = Weights(x0, cropWidth, width, outWidth, ref _xStart, ref _xCount, ref _xWeights);
        int yTaps = Weights(y0, cropHeight, height, outHeight, ref _yStart, ref _yCount, ref _yWeights);
        if (flip) Mirror(outWidth, xTaps);
        // The source columns the row pass reads: the vertical pass resizes only those.
        int firstColumn = int.MaxValue, endColumn = 0;
        for (int x = 0; x < outWidth; x++)
        {
            firstColumn = Math.Min(firstColumn, _xStart[x]);
            endColumn = Math.Max(endColumn, _xStart[x] + _xCount[x]);
        }
        int spanBytes = (endColumn - firstColumn) * channels, rowBytes = outWidth * channels;
        // Shrinking by less than 2 (always, after a JPEG's DCT scaling) reads at most four pixels per output pixel.
        bool fourTaps = channels == 3 && Ssse3.IsSupported && PairWeights(outWidth, xTaps);
        if (_columns.Length < outHeight * spanBytes + Padding) _columns = new byte[outHeight * spanBytes + Padding];
        fixed (byte* src = source)
        fixed (byte* mid = _columns)
        fixed (byte* dst = destination)
        fixed (int* xs = _xStart, xc = _xCount, xw = _xWeights, ys = _yStart, yc = _yCount, yw = _yWeights)
        fixed (short* pairs = _xPairs)
        {
            long stride = (long)width * channels;
            byte* origin = src + firstColumn * channels;
            for (int y = 0; y < outHeight; y++)
                Vertical(origin + ys[y] * stride, stride, yc[y], yw + y * yTaps, mid + y * spanBytes, spanBytes);
            for (int y = 0; y < outHeight; y++)
            {
                byte* inRow = mid + y * spanBytes - firstColumn * channels; // indexed by absolute source column
                byte* outRow = dst + (long)y * rowBytes;
                if (channels == 3 && fourTaps) HorizontalFourTaps(inRow, outRow, outWidth, xs, pairs, y == outHeight - 1);
                else if (channels is 3 or 4 && Sse41.IsSupported) HorizontalSse(inRow, outRow, outWidth, channels, xs, xc, xw, xTaps, y == outHeight - 1);
                else HorizontalScalar(inRow, outRow, outWidth, channels, xs, xc, xw, xTaps);
            }
        }
    }

    /// <summary>
    /// One output row of the column pass: <paramref name="count"/> source rows, weighted, summed. With AVX2, sixteen
    /// bytes at a time as shorts: each pixel scaled by 128 and multiplied by its 14-bit weight with PMULHRSW gives
    /// pixel × weight × 64, rounded — within 1/128 of a level — and the sum (at most 255 × 64) fits a short.
    /// </summary>
    private static void Vertical(byte* first, long stride, int count, int* weights, byte* output, int length)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            var rounding = Vector256.Create((short)32);
            for (; i + 32 <= length; i += 32)
            {
                Vector256<short> a = default, b = default;
                byte* p = first + i;
                for (int k = 0; k < count; k++, p += stride)
                {
                    var w = Vector256.Create((short)weights[k]);
                    a = Avx2.Add(a, Avx2.MultiplyHighRoundScale(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int16(p), 7), w));
                    b = Avx2.Add(b, Avx2.MultiplyHighRoundScale(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int16(p + 16), 7), w));
                }
                a = Avx2.ShiftRightArithmetic(Avx2.Add(a, rounding), 6);
                b = Avx2.ShiftRightArithmetic(Avx2.Add(b, rounding), 6);
                // PACKUSWB packs within 128-bit lanes (a.lo b.lo a.hi b.hi): put the quarters back in order.
                Avx2.Permute4x64(Avx2.PackUnsignedSaturate(a, b).AsUInt64(), 0b11_01_10_00).AsByte().Store(output + i);
            }
        }
        for (; i < length; i++)
        {
            int sum = Half;
            byte* p = first + i;
            for (int k = 0; k < count; k++, p += stride) sum += *p * weights[k];
            output[i] = Clamp(sum);
        }
    }

    /// <summary>
    /// The row pass for RGB when no output pixel reads more than four: one 16-byte load holds the four pixels, two
    /// shuffles lay out their reds and greens, and blues, as shorts, and PMADDWD weights and sums them in pairs.
    /// </summary>
    private static void HorizontalFourTaps(byte* inRow, byte* outRow, int outWidth, int* xs, short* pairs, bool lastRow)
    {
        const byte Z = 0x80; // PSHUFB writes zero for an index with the top bit set
        var redsGreens = Vector128.Create((byte)0, Z, 3, Z, 6, Z, 9, Z, 1, Z, 4, Z, 7, Z, 10, Z);
        var blues = Vector128.Create((byte)2, Z, 5, Z, 8, Z, 11, Z, Z, Z, Z, Z, Z, Z, Z, Z);
        var half = Vector128.Create(Half, Half, Half, 0);
        int x = 0;
        if (Avx2.IsSupported)
        {
            // Two output pixels at a time, one in each 128-bit lane.
            var redsGreens2 = Vector256.Create(redsGreens, redsGreens);
            var blues2 = Vector256.Create(blues, blues);
            var half2 = Vector256.Create(half, half);
            for (; x + 2 <= outWidth; x += 2)
            {
                var pixels = Vector256.Create(Sse2.LoadVector128(inRow + xs[x] * 3), Sse2.LoadVector128(inRow + xs[x + 1] * 3));
                var w = Avx.LoadVector256(pairs + x * 8);
                var rg = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(pixels, redsGreens2).AsInt16(), w);
                var b = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(pixels, blues2).AsInt16(), w);
                var sum = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.HorizontalAdd(rg, b), half2), Bits);
                var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(sum, sum), default).AsUInt32();
                byte* o = outRow + x * 3;
                *(uint*)o = bytes.GetElement(0);
                uint second = bytes.GetElement(4);
                if (x + 2 < outWidth || !lastRow) *(uint*)(o + 3) = second;
                else Store3(o + 3, second);
            }
        }
        for (; x < outWidth; x++)
        {
            var pixels = Sse2.LoadVector128(inRow + xs[x] * 3);
            var w = Sse2.LoadVector128(pairs + x * 8);
            var rg = Sse2.MultiplyAddAdjacent(Ssse3.Shuffle(pixels, redsGreens).AsInt16(), w); // r01 r23 g01 g23
            var b = Sse2.MultiplyAddAdjacent(Ssse3.Shuffle(pixels, blues).AsInt16(), w);       // b01 b23 0 0
            var sum = Sse2.ShiftRightArithmetic(Sse2.Add(Ssse3.HorizontalAdd(rg, b), half), Bits);
            uint packed = Sse2.ConvertToUInt32(Sse2.PackUnsignedSaturate(Sse2.PackSignedSaturate(sum, sum), default).AsUInt32());
            byte* o = outRow + x * 3;
            if (x < outWidth - 1 || !lastRow) *(uint*)o = packed;
            else Store3(o, packed);
        }
    }

    private static void Store3(byte* o, uint packed)
    {
        o[0] = (byte)packed;
        o[1] = (byte)(packed >> 8);
        o[2] = (byte)(packed >> 16);
    }

    /// <summary>Fills <see cref="_xPairs"/> when every output column reads at most four pixels; false otherwise.</summary>
    private bool PairWeights(int outWidth, int taps)
    {
        for (int x = 0; x < outWidth; x++)
            if (_xCount[x] > 4) return false;
        if (_xPairs.Length < outWidth * 8) _xPairs = new short[outWidth * 8];
        for (int x = 0; x < outWidth; x++)
            for (int k = 0; k < 4; k++)
                _xPairs[x * 8 + k] = _xPairs[x * 8 + 4 + k] = (short)(k < _xCount[x] ? _xWeights[x * taps + k] : 0);
        return true;
    }

    /// <summary>
    /// The row pass with one pixel's channels in one SSE register: per tap, four bytes widened, weighted and added.
    /// The fourth byte of a 3-channel pixel is the next pixel's, written over by the next store, so only the row's last
    /// pixel (of the last row, where nothing follows) is stored byte by byte.
    /// </summary>
    private static void HorizontalSse(byte* inRow, byte* outRow, int outWidth, int channels, int* xs, int* xc, int* xw, int taps, bool lastRow)
    {
        var half = Vector128.Create(Half);
        for (int x = 0; x < outWidth; x++)
        {
            byte* p = inRow + xs[x] * channels;
            int* w = xw + x * taps;
            var sum = half;
            for (int k = 0, n = xc[x]; k < n; k++, p += channels)
                sum = Sse2.Add(sum, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), Vector128.Create(w[k])));
            var shifted = Sse2.ShiftRightArithmetic(sum, Bits);
            uint packed = Sse2.ConvertToUInt32(Sse2.PackUnsignedSaturate(Sse2.PackSignedSaturate(shifted, shifted), default).AsUInt32());
            byte* o = outRow + x * channels;
            if (channels == 4 || x < outWidth - 1 || !lastRow) *(uint*)o = packed;
            else
            {
                o[0] = (byte)packed;
                o[1] = (byte)(packed >> 8);
                o[2] = (byte)(packed >> 16);
            }
        }
    }

    private static void HorizontalScalar(byte* inRow, byte* outRow, int outWidth, int channels, int* xs, int* xc, int* xw, int taps)
    {
        for (int x = 0; x < outWidth; x++)
        {
            int* w = xw + x * taps;
            for (int c = 0; c < channels; c++)
            {
                byte* p = inRow + xs[x] * channels + c;
                int sum = Half;
                for (int k = 0, n = xc[x]; k < n; k++, p += channels) sum += *p * w[k];
                outRow[x * channels + c] = Clamp(sum);
            }
        }
    }

    private static byte Clamp(int sum)
    {
        int v = sum >> Bits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>
    /// For each output position along one axis: the first source pixel, how many are read, and their weights (which
    /// sum to <see cref="One"/>). Returns the taps per position (the stride of the weight table).
    /// </summary>
    private static int Weights(double start, double length, int size, int outSize, ref int[] first, ref int[] count, ref int[] weights)
    {
        double scale = length / outSize;
        double support = Math.Max(scale, 1.0); // the triangle's half-width, in source pixels
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        if (first.Length < outSize) { first = new int[outSize]; count = new int[outSize]; }
        if (weights.Length < outSize * taps) weights = new int[outSize * taps];
        Span<double> w = stackalloc double[taps];
        for (int o = 0; o < outSize; o++)
        {
            double center = start + (o + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(center - support + 0.5));
            int hi = Math.Min(size, (int)Math.Floor(center + support + 0.5));
            if (hi <= lo) // a crop that ends at the image's edge: take the nearest pixel
            {
                lo = Math.Clamp((int)center, 0, size - 1);
                hi = lo + 1;
            }
            int n = Math.Min(hi - lo, taps);
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double d = Math.Abs((lo + k + 0.5 - center) / support);
                w[k] = d < 1 ? 1 - d : 0;
                total += w[k];
            }
            if (total <= 0) { w[0] = total = 1; for (int k = 1; k < n; k++) w[k] = 0; }
            int sum = 0, biggest = 0;
            for (int k = 0; k < n; k++)
            {
                int fixedWeight = (int)Math.Round(w[k] / total * One);
                weights[o * taps + k] = fixedWeight;
                sum += fixedWeight;
                if (fixedWeight > weights[o * taps + biggest]) biggest = k;
            }
            weights[o * taps + biggest] += One - sum; // exact unity gain: flat areas stay flat
            first[o] = lo;
            count[o] = n;
        }
        return taps;
    }

    /// <summary>Reverses the horizontal tables so output x reads what output width−1−x would have.</summary>
    private void Mirror(int outWidth, int taps)
    {
        for (int a = 0, b = outWidth - 1; a < b; a++, b--)
        {
            (_xStart[a], _xStart[b]) = (_xStart[b], _xStart[a]);
            (_xCount[a], _xCount[b]) = (_xCount[b], _xCount[a]);
            for (int k = 0; k < taps; k++) (_xWeights[a * taps + k], _xWeights[b * taps + k]) = (_xWeights[b * taps + k], _xWeights[a * taps + k]);
        }
    }
}
