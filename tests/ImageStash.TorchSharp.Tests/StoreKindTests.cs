using ImageStash.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace ImageStash.TorchSharp.Tests;

/// <summary>TensorLoader sees only IImageStore: every store kind and a shard set give the loader's batches as tensors.</summary>
public sealed class StoreKindTests
{
    [Theory]
    [InlineData("lmdb")]
    [InlineData("hdf5")]
    [InlineData("png")]
    [InlineData("shards")]
    public void Every_store_kind_and_a_shard_set_give_the_loaders_batches_as_tensors(string kind)
    {
        using var data = new TempStore(150, kind: kind);
        var options = new LoaderOptions { BatchSize = 32, Seed = 3, Workers = 2, Output = LoaderOutput.BytesChw, RandomHorizontalFlip = true };
        using var tensors = new TensorLoader(data.Store, options);
        using var plain = new ImageLoader(data.Store, options);
        using var expected = plain.NextEpoch().GetEnumerator();
        var ids = new List<long>();
        foreach (var (images, labels) in tensors.NextEpoch().Select(b => (b.Images, b.Labels)))
        {
            Assert.True(expected.MoveNext());
            Assert.Equal(expected.Current.Pixels.ToArray(), images.data<byte>().ToArray());
            Assert.Equal(expected.Current.Labels.ToArray().Select(l => (long)l), labels.data<long>().ToArray());
            ids.AddRange(expected.Current.Ids.ToArray());
        }
        Assert.False(expected.MoveNext());
        Assert.Equal(Enumerable.Range(0, 150).Select(i => (long)i), ids.Order());
    }

    [Fact]
    public void Another_device_gets_each_batch_copied_there_once()
    {
        // The meta device holds shapes and types without data: the path a CUDA device takes, run without a GPU.
        using var data = new TempStore(100);
        using var loader = new TensorLoader(data.Store, new LoaderOptions { BatchSize = 64, Output = LoaderOutput.FloatsChw }, device: META);
        Assert.Equal(DeviceType.META, loader.Device.type);
        var counts = new List<long>();
        foreach (var (images, labels) in loader.NextEpoch())
        {
            Assert.Equal(DeviceType.META, images.device_type);
            Assert.Equal(DeviceType.META, labels.device_type);
            Assert.Equal(ScalarType.Float32, images.dtype);
            Assert.Equal(ScalarType.Int64, labels.dtype);
            Assert.Equal([images.shape[0], 3L, 32L, 32L], images.shape);
            counts.Add(labels.shape[0]);
        }
        Assert.Equal([64L, 36L], counts);
    }
}
