namespace ImageStash.Loading;

/// <summary>
/// The loader's random numbers: every choice for one image comes from (seed, epoch, position in the epoch), so a
/// resumed epoch draws exactly what the uninterrupted one did. SplitMix64, a struct: drawing allocates nothing.
/// </summary>
internal struct LoaderRandom(ulong state)
{
    public static LoaderRandom For(int seed, int epoch, long position) => new(Mix(seed, epoch, position));

    /// <inheritdoc cref="EpochRandom.Mix"/>
    public static ulong Mix(int seed, int epoch, long position) => EpochRandom.Mix(seed, epoch, position);

    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="count"/>).</summary>
    public int NextInt(int count) => (int)(NextDouble() * count);
}
