using System.Globalization;

namespace ImageStash.Shards;

/// <summary>Sizes as people write them, for <c>--shard-size</c> and <c>IMAGESTASH_CACHE_LIMIT</c>.</summary>
public static class ByteSize
{
    /// <summary>"67108864", "64MiB", "64MB" (taken as MiB), "1GiB"; null if not a size.</summary>
    /// <param name="text">The size as written: a positive number and an optional unit (B, K/KB/KiB, M/MB/MiB, G/GB/GiB).</param>
    public static long? Parse(string text)
    {
        text = text.Trim();
        int unitAt = text.Length;
        while (unitAt > 0 && char.IsAsciiLetter(text[unitAt - 1])) unitAt--;
        if (!double.TryParse(text[..unitAt], NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || number <= 0) return null;
        long scale = text[unitAt..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            _ => 0,
        };
        return scale == 0 ? null : (long)(number * scale);
    }
}
