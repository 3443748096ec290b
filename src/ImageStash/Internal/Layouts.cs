namespace ImageStash.Internal;

/// <summary>One image's pixels from HWC bytes to the loader's other layouts: CHW bytes, normalised CHW floats.</summary>
internal static class Layouts
{
    public static void HwcToChw(ReadOnlySpan<byte> hwc, Span<byte> chw, int plane, int channels)
    {
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
