namespace ImageStash;

/// <summary>
/// The seed mixing every order and random choice derives from, shared by the loader and streaming stores so that
/// (seed, epoch, position) means the same everywhere: the SplitMix64 finaliser of the three inputs.
/// </summary>
public static class EpochRandom
{
    /// <summary>SplitMix64 of the three inputs: nearby epochs and positions get unrelated values.</summary>
    public static ulong Mix(int seed, int epoch, long position)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL ^ (ulong)position * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
