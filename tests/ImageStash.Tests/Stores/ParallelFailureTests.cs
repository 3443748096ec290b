namespace ImageStash.Tests.Stores;

/// <summary>A failure inside a parallel loop reaches the caller as itself, never wrapped in an AggregateException.</summary>
public sealed class ParallelFailureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_parallel_read_many_names_the_earliest_damaged_image()
    {
        var shape = new ImageShape(16, 16, 3);
        using var batch = TestData.Batch(300, shape);
        string path = StoreKinds.PathFor("png", _dir.Path);
        using (var store = StoreKinds.Create("png", _dir.Path)) store.Put(batch);
        foreach (int id in new[] { 250, 41, 160 })
            File.WriteAllBytes(Path.Combine(path, "images", $"{id & 0xFF:x2}", $"{id}.png"), "not a png"u8.ToArray());
        using var reader = StoreKinds.Registry.OpenRead(path);
        long[] ids = [.. Enumerable.Range(0, 300).Select(i => (long)i)];
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var e = Assert.Throws<InvalidDataException>(() => reader.ReadMany(ids, new byte[300 * shape.ByteCount], new int[300]));
            Assert.StartsWith($"store '{path}': image 41 is damaged ('", e.Message);
        }
    }
}
