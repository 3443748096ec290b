using System.Security.Cryptography;
using ImageStash.Shards;

namespace ImageStash.Tests.Interop;

/// <summary>
/// PyTorch reads what we write: the <c>imagestash</c> package's (python/) map-style <c>StoreDataset</c> over every store
/// layout and its <c>ShardDataset</c> over a shard set, through a real <c>torch.utils.data.DataLoader</c> with two
/// worker processes and torchvision's <c>PILToTensor</c>; every image's pixels and label must be ours. Needs
/// Debian's python3-torch and python3-torchvision (scripts/deps.sh installs them).
/// </summary>
[Trait("Tier", "Full")]
public sealed class TorchInteropTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Script = """
        import hashlib, sys
        from imagestash.torch import ShardDataset, StoreDataset
        from torch.utils.data import DataLoader
        from torchvision import transforms
        kind, path = sys.argv[2], sys.argv[3]
        to_tensor = transforms.PILToTensor()
        if kind == "shards":
            rank, world = int(sys.argv[4]), int(sys.argv[5])
            data = ShardDataset(path, transform=to_tensor, rank=rank, world_size=world, shuffle=True, seed=1, with_ids=True)
            data.set_epoch(1)
        else:
            data = StoreDataset(path, transform=to_tensor, with_ids=True)
        # batch_size=None: samples one by one (their sizes differ), from two worker processes.
        for image, label, image_id in DataLoader(data, batch_size=None, num_workers=2):
            hwc = image.permute(1, 2, 0).contiguous().numpy()
            print(int(image_id), int(label), "x".join(str(d) for d in hwc.shape), hashlib.sha256(hwc.tobytes()).hexdigest())
        """;

    /// <summary>Every sample the DataLoader gave: id → (label, H×W×C, SHA-256 of the HWC pixels).</summary>
    private List<(long Id, int Label, string Shape, string Sha)> Load(params string[] args)
    {
        string file = _dir.File("load.py");
        File.WriteAllText(file, Script);
        var (exit, output, error) = ChildProcess.Run(ChildProcess.Python, [file, "-", .. args], ChildProcess.WithPackage(), timeoutMs: 180_000);
        Assert.True(exit == 0, $"python failed ({exit}):\n{error}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' '))
            .Select(f => (long.Parse(f[0]), int.Parse(f[1]), f[2], f[3]))];
    }

    private static void AssertOurs(ImageBatch batch, IEnumerable<(long Id, int Label, string Shape, string Sha)> read, string what)
    {
        var byId = read.ToDictionary(r => r.Id); // a duplicate id fails here
        Assert.Equal(batch.Count, byId.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            var header = batch[i];
            Assert.True(byId.TryGetValue(header.Id, out var r), $"{what}: id {header.Id} never came");
            Assert.Equal(header.Label, r.Label);
            var pixels = header.IsRaw ? batch.GetPayload(i).ToArray() : TestImages.Decode(batch.GetPayload(i).ToArray(), header.Shape.Channels).Pixels;
            Assert.Equal($"{header.Shape.Height}x{header.Shape.Width}x{header.Shape.Channels}", r.Shape);
            Assert.True(Convert.ToHexStringLower(SHA256.HashData(pixels)) == r.Sha, $"{what}: image {header.Id} ({header.Encoding}) differs");
        }
    }

    [Theory]
    [InlineData("lmdb", "mixed")]
    [InlineData("hdf5", "raw-fixed")]
    [InlineData("hdf5", "mixed")]
    [InlineData("png", "mixed")]
    public void A_torch_dataloader_over_our_store_gives_every_image_and_label(string kind, string records)
    {
        using var batch = Stores.RecordKinds.Make(records);
        using (var store = Stores.StoreKinds.Create(kind, _dir.Path)) store.Put(batch);
        var read = Load("store", Stores.StoreKinds.PathFor(kind, _dir.Path));
        Assert.Equal(Enumerable.Range(0, batch.Count).Select(i => batch[i].Id), read.Select(r => r.Id)); // map-style: id order
        AssertOurs(batch, read, $"{kind}/{records}");
    }

    [Fact]
    public void Two_ranks_of_torch_dataloaders_over_our_shards_get_every_sample_and_equal_counts()
    {
        using var batch = Stores.RecordKinds.Make("mixed");
        using var store = Stores.StoreKinds.Create("lmdb", _dir.Path);
        store.Put(batch);
        string set = _dir.File("shards");
        var written = ShardWriter.Write(store, set, new ShardWriterOptions { ShardSize = 4 << 10 });
        Assert.True(written.Shards >= 8, $"only {written.Shards} shards: too few to split over 2 ranks × 2 workers");
        var rank0 = Load("shards", set, "0", "2");
        var rank1 = Load("shards", set, "1", "2");
        Assert.NotEmpty(rank0);
        Assert.Equal(rank0.Count, rank1.Count); // equal samples per rank, so DDP never waits on a rank that ran out
        var all = rank0.Concat(rank1).ToList();
        Assert.True(all.Count - all.Select(r => r.Id).Distinct().Count() <= 1, "more than the one evening-out repeat");
        AssertOurs(batch, all.DistinctBy(r => r.Id), "shards");
    }
}
