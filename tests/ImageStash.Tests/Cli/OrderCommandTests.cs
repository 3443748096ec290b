using ImageStash.Shards;
using ImageStash.Tests.Shards;

namespace ImageStash.Tests.Cli;

/// <summary>
/// <c>imagestash order</c> prints what the loader hands a rank: every rank the same count, together every sample,
/// and a saved state's rest. (python/tests/test_order.py checks the Python package reads exactly these ids.)
/// </summary>
public sealed class OrderCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ShardSet(int count)
    {
        using var store = ShardTestData.RawStore(_dir.Path, count);
        string set = _dir.File("set");
        ShardWriter.Write(store, set, new ShardWriterOptions { ShardSize = 8 << 10 });
        return set;
    }

    private static long[] Ids(string output) => [.. output.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries).Select(long.Parse)];

    [Fact]
    public void Every_rank_gets_the_same_count_and_together_every_sample()
    {
        string set = ShardSet(101);
        var ranks = Enumerable.Range(0, 4).Select(r => CliRunner.Run("order", set, "--seed", "3", "--epoch", "2", "--rank", $"{r}", "--world-size", "4")).ToList();
        Assert.All(ranks, r => Assert.Equal(0, r.Exit));
        var ids = ranks.Select(r => Ids(r.Out)).ToList();
        Assert.All(ids, i => Assert.Equal(26, i.Length)); // ⌈101 / 4⌉
        Assert.Equal(Enumerable.Range(0, 101).Select(i => (long)i), ids.SelectMany(i => i).Distinct().Order());
        var again = CliRunner.Run("order", set, "--seed", "3", "--epoch", "2", "--rank", "1", "--world-size", "4");
        Assert.Equal(ranks[1].Out, again.Out);
        Assert.NotEqual(ranks[1].Out, CliRunner.Run("order", set, "--seed", "3", "--epoch", "3", "--rank", "1", "--world-size", "4").Out);
    }

    [Fact]
    public void Batches_print_one_per_line_and_a_saved_state_prints_the_rest()
    {
        string set = ShardSet(60);
        var all = CliRunner.Run("order", set, "--seed", "1", "--batch", "8");
        var lines = all.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        Assert.All(lines[..^1], l => Assert.Equal(8, l.Split(' ').Length));
        string state = _dir.File("state.json");
        Assert.Equal(0, CliRunner.Run("order", set, "--seed", "1", "--batch", "8", "--save-after", "3", "--save", state).Exit);
        Assert.Contains("\"Stream\":\"shards-v2;window=2\"", File.ReadAllText(state));
        var rest = CliRunner.Run("order", set, "--seed", "1", "--resume", state);
        Assert.Equal(Ids(all.Out)[24..], Ids(rest.Out));
    }

    [Fact]
    public void A_state_from_plan_v1_and_a_bad_rank_are_refused_in_one_line()
    {
        string set = ShardSet(20);
        string state = _dir.File("v1.json");
        File.WriteAllText(state, """{"Epoch":0,"Batch":1,"Seed":0,"BatchSize":1,"WorldSize":1,"Stream":"shards-v1;window=2"}""");
        var (exit, _, err) = CliRunner.Run("order", set, "--resume", state);
        Assert.Equal(2, exit);
        Assert.Equal("imagestash: error: The saved state 'shards-v1;window=2' follows epoch plan v1, which this version no longer computes (plan v2 draws from SplitMix64, docs/formats/shards.md); start the epoch afresh. (Parameter 'resume')", err.Trim());
        (exit, _, err) = CliRunner.Run("order", set, "--rank", "2", "--world-size", "2");
        Assert.Equal(2, exit);
        Assert.Equal("imagestash: error: --rank is 0 to 1 (below --world-size 2); got 2.", err.Trim());
    }
}
