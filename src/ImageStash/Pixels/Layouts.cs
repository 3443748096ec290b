using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageStash.Pixels;

/// <summary>
/// One image's pixels from HWC bytes to the loader's other layouts: CHW bytes, normalised CHW floats. RGB takes an
/// SSSE3/AVX2 path, eight pixels at a time (the loader writes 150,000 floats per 224 × 224 image).
/// </summary>
internal static unsafe class Layouts
{
    private const byte Z = 0x80; // PSHUFB writes zero for an index with the top bit set

    // Eight pixels' 24 bytes come as two overlapping 16-byte loads (bytes 0–15 and 8–23): each channel's eight bytes
    // are gathered from the first (positions 0–5) and the second (6–7), then OR-ed.
    private static readonly Vector128<byte> R0 = Vector128.Create((byte)0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    private static readonly Vector128<byte> R1 = Vector128.Create(Z, Z, Z, Z, Z, Z, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z);
    private static readonly Vector128<byte> G0 = Vector128.Create((byte)1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    private static readonly Vector128<byte> G1 = Vector128.Create(Z, Z, Z, Z, Z, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z);
    private static readonly Vector128<byte> B0 = Vector128.Create((byte)2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    private static readonly Vector128<byte> B1 = Vector128.Create(Z, Z, Z, Z, Z, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z);

    /// <summary>Pixels [p, p+8)'s red, green and blue bytes, each in the low eight bytes of a vector.</summary>
    private static (Vector128<byte> R, Vector128<byte> G, Vector128<byte> B) Split8(byte* p)
    {
        var first = Sse2.LoadVector128(p);
        var second = Sse2.LoadVector128(p + 8);
        return (Sse2.Or(Ssse3.Shuffle(first, R0), Ssse3.Shuffle(second, R1)),
                Sse2.Or(Ssse3.Shuffle(first, G0), Ssse3.Shuffle(second, G1)),
                Sse2.Or(Ssse3.Shuffle(first, B0), Ssse3.Shuffle(second, B1)));
    }

    public static void HwcToChw(ReadOnlySpan<byte> hwc, Span<byte> chw, int plane, int channels)
    {
        if (channels == 3 && Ssse3.IsSupported)
        {
            fixed (byte* src = hwc)
            fixed (byte* dst = chw)
            {
                int p = 0;
                // The second load reads 24 bytes from pixel p: stop where that would pass the image's end.
                for (; p + 8 <= plane && (p + 8) * 3 + 8 <= hwc.Length; p += 8)
                {
                    var (r, g, b) = Split8(src + p * 3);
                    *(ulong*)(dst + p) = r.AsUInt64().ToScalar();
                    *(ulong*)(dst + plane + p) = g.AsUInt64().ToScalar();
                    *(ulong*)(dst + 2 * plane + p) = b.AsUInt64().ToScalar();
                }
                for (; p < plane; p++)
                {
                    dst[p] = src[3 * p];
                    dst[plane + p] = src[3 * p + 1];
                    dst[2 * plane + p] = src[3 * p + 2];
                }
            }
            return;
        }
        if (channels == 3)
        {
            Span<byte> r = chw[..plane], g = chw.Slice(plane, plane), b = chw.Slice(2 * plane, plane);
            for (int p = 0, s = 0; p < plane; p++, s += 3)
            {
                r[p] = hwc[s];
                g[p] = hwc[s + 1];
                b[p] = hwc[s + 2];
            }
            return;
        }
        for (int k = 0; k < channels; k++)
        {
            var channel = chw.Slice(k * plane, plane);
            for (int p = 0, s = k; p < plane; p++, s += channels) channel[p] = hwc[s];
        }
    }

    /// <summary>(x / 255 − mean[c]) / std[c], channel by channel, into CHW.</summary>
    public static void HwcToFloats(ReadOnlySpan<byte> hwc, Span<float> chw, int plane, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (channels == 3 && Avx2.IsSupported && Fma.IsSupported)
        {
            var (sr, sg, sb) = (Vector256.Create(1f / (255f * std[0])), Vector256.Create(1f / (255f * std[1])), Vector256.Create(1f / (255f * std[2])));
            var (hr, hg, hb) = (Vector256.Create(-mean[0] / std[0]), Vector256.Create(-mean[1] / std[1]), Vector256.Create(-mean[2] / std[2]));
            fixed (byte* src = hwc)
            fixed (float* dst = chw)
            {
                int p = 0;
                for (; p + 8 <= plane && (p + 8) * 3 + 8 <= hwc.Length; p += 8)
                {
                    var (r, g, b) = Split8(src + p * 3);
                    Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(r)), sr, hr).Store(dst + p);
                    Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(g)), sg, hg).Store(dst + plane + p);
                    Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(b)), sb, hb).Store(dst + 2 * plane + p);
                }
                for (int k = 0; k < 3; k++)
                {
                    float scale = 1f / (255f * std[k]), shift = -mean[k] / std[k];
                    for (int q = p; q < plane; q++) dst[k * plane + q] = src[3 * q + k] * scale + shift;
                }
            }
            return;
        }
        for (int k = 0; k < channels; k++)
        {
            var channel = chw.Slice(k * plane, plane);
            float scale = 1f / (255f * std[k]), shift = -mean[k] / std[k];
            for (int p = 0, s = k; p < plane; p++, s += channels) channel[p] = hwc[s] * scale + shift;
        }
    }

    public static void ChwToFloats(ReadOnlySpan<byte> chw, Span<float> output, int plane, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        for (int k = 0; k < channels; k++)
        {
            float scale = 1f / (255f * std[k]), shift = -mean[k] / std[k];
            var source = chw.Slice(k * plane, plane);
            var channel = output.Slice(k * plane, plane);
            for (int p = 0; p < plane; p++) channel[p] = source[p] * scale + shift;
        }
    }
}
