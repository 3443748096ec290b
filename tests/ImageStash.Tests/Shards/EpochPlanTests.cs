namespace ImageStash.Tests.Shards;

/// <summary>
/// The epoch plan's generator and order pinned to values computed from docs/formats/shards.md by the Python package
/// (python/src/imagestash/plan.py), so a change to either side that breaks their agreement fails here without Python.
/// </summary>
public sealed class EpochPlanTests
{
    [Fact]
    public void The_generator_is_splitmix64()
    {
        ulong state = 0;
        var outputs = new ulong[3];
        for (int i = 0; i < 3; i++) outputs[i] = SplitMix64.Mix(state += SplitMix64.Golden);
        Assert.Equal([0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F], outputs);
    }

    [Fact]
    public void A_plan_is_the_one_the_python_package_computes()
    {
        var plan = new EpochPlan([3, 5, 2, 4, 1], seed: 7, epoch: 2, window: 2, shuffle: true);
        var rows = Enumerable.Range(0, (int)plan.Length).Select(p => plan.At(p).Row).ToArray();
        Assert.Equal(Expected, rows);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (long)i), rows.Order());
    }

    [Fact]
    public void Negative_seeds_and_epochs_wrap_as_the_spec_says()
    {
        Assert.Equal(NegativeSeedStart, SplitMix64.StreamSeed(-1, 3, 4));
    }

    // python3 -c "from imagestash import plan; p = plan.EpochPlan([3,5,2,4,1], 7, 2, 2, True); print([p.row(i) for i in range(len(p))])"
    private static readonly long[] Expected = [5, 14, 4, 6, 7, 3, 13, 0, 11, 12, 10, 2, 1, 8, 9];

    // python3 -c "from imagestash import plan; print(hex(plan.stream_seed(-1, 3, 4)))"
    private const ulong NegativeSeedStart = 0xA8F0A76D3DFCB775;
}
