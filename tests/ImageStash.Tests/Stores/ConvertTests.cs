using ImageStash.Tools;
namespace ImageStash.Tests.Stores;

public sealed class ConvertTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (string from in StoreKinds.Names)
            foreach (string to in StoreKinds.Names)
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Convert_copies_every_image_label_name_and_class_exactly(string from, string to)
    {
        using var source = StoreKinds.Create(from, _dir.Path, "src");
        using (var batch = TestData.Batch(70, new ImageShape(12, 10, 3), firstId: 5)) source.Put(batch);
        source.SetClassNames(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        using var destination = StoreKinds.Create(to, _dir.Path, "dst");
        Assert.Equal(70, StoreConverter.Convert(source, destination, batchSize: 32));
        Assert.Null(StoreConverter.FindDifference(source, destination));
        Assert.Equal(Enumerable.Range(5, 70).Select(i => (long)i), destination.EnumerateIds());
    }

    [Fact]
    public void A_difference_is_named()
    {
        using var a = StoreKinds.Create("lmdb", _dir.Path, "a");
        using var b = StoreKinds.Create("hdf5", _dir.Path, "b");
        using var batch = TestData.Batch(3, new ImageShape(4, 4, 3), seed: 1);
        a.Put(batch);
        using var changed = new ImageBatch();
        for (int i = 0; i < 3; i++)
        {
            var pixels = batch.GetPixels(i).ToArray();
            if (i == 1) pixels[7] ^= 1;
            changed.Add(batch[i], pixels);
        }
        b.Put(changed);
        Assert.Equal("the pixels of image 1 differ", StoreConverter.FindDifference(a, b));
    }
}
