using System.Text.Json;
using ImageStash.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace ImageStash.TorchSharp.Tests;

public sealed class TensorLoaderTests
{
    private static LoaderOptions Options(LoaderOutput output, bool photo = false) => new()
    {
        BatchSize = 64, Seed = 5, Workers = 2, Output = output, Size = photo ? 24 : null,
        RandomCropPadding = photo ? 0 : 4, RandomHorizontalFlip = true, Mean = [0.5f, 0.4f, 0.3f], Std = [0.2f, 0.25f, 0.3f],
    };

    private static byte[] Bytes(Tensor t) => t.dtype == ScalarType.Float32
        ? System.Runtime.InteropServices.MemoryMarshal.AsBytes<float>(t.data<float>().ToArray()).ToArray()
        : t.data<byte>().ToArray();

    private static byte[] Bytes(LoaderBatch b) => b.Output == LoaderOutput.FloatsChw
        ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.Floats).ToArray()
        : b.Pixels.ToArray();

    [Theory]
    [InlineData(LoaderOutput.BytesHwc, false)]
    [InlineData(LoaderOutput.BytesChw, false)]
    [InlineData(LoaderOutput.FloatsChw, false)]
    [InlineData(LoaderOutput.BytesHwc, true)]
    [InlineData(LoaderOutput.BytesChw, true)]
    [InlineData(LoaderOutput.FloatsChw, true)]
    public void Tensors_hold_exactly_the_loaders_bytes_in_every_layout(LoaderOutput output, bool photo)
    {
        using var data = new TempStore(300);
        using var tensors = new TensorLoader(data.Store, Options(output, photo));
        using var plain = new ImageLoader(data.Store, Options(output, photo)); // the same options: the same batches
        var (h, w, c) = (tensors.Shape.Height, tensors.Shape.Width, tensors.Shape.Channels);
        long[] perImage = output == LoaderOutput.BytesHwc ? [h, w, c] : [c, h, w];
        var expected = plain.NextEpoch().GetEnumerator();
        int batches = 0;
        foreach (var batch in tensors.NextEpoch())
        {
            Assert.True(expected.MoveNext());
            var (images, labels) = batch;
            Assert.Equal([batch.Count, .. perImage], images.shape);
            Assert.Equal(output == LoaderOutput.FloatsChw ? ScalarType.Float32 : ScalarType.Byte, images.dtype);
            Assert.Equal(ScalarType.Int64, labels.dtype);
            Assert.Equal([(long)batch.Count], labels.shape);
            Assert.Equal(Bytes(batch.Source), Bytes(images));
            Assert.Equal(Bytes(expected.Current), Bytes(images));
            Assert.Equal(expected.Current.Labels.ToArray().Select(l => (long)l), labels.data<long>().ToArray());
            batches++;
        }
        Assert.False(expected.MoveNext());
        Assert.Equal(5, batches); // 64 × 4 and a last batch of 44
    }

    [Theory]
    [InlineData(LoaderOutput.BytesHwc)]
    [InlineData(LoaderOutput.FloatsChw)]
    public void Image_tensors_are_views_of_the_loaders_buffers_not_copies(LoaderOutput output)
    {
        using var data = new TempStore(100);
        using var loader = new TensorLoader(data.Store, Options(output));
        foreach (var batch in loader.NextEpoch())
        {
            batch.Images[0].fill_(7);
            if (output == LoaderOutput.FloatsChw) Assert.All(batch.Source.Floats[..CifarShapedLength].ToArray(), v => Assert.Equal(7f, v));
            else Assert.All(batch.Source.Pixels[..CifarShapedLength].ToArray(), v => Assert.Equal(7, v));
            break;
        }
    }

    private const int CifarShapedLength = 32 * 32 * 3;

    [Fact]
    public void Resuming_mid_epoch_gives_the_same_tensors()
    {
        using var data = new TempStore(500);
        var options = Options(LoaderOutput.FloatsChw);
        List<(float[] Images, long[] Labels)> Run(TensorLoader loader, int? stopAfter = null)
        {
            var got = new List<(float[], long[])>();
            foreach (var (images, labels) in loader.NextEpoch())
            {
                got.Add((images.data<float>().ToArray(), labels.data<long>().ToArray()));
                if (got.Count == stopAfter) break;
            }
            return got;
        }
        List<(float[] Images, long[] Labels)> whole;
        using (var loader = new TensorLoader(data.Store, options))
        {
            Run(loader); // epoch 0
            whole = Run(loader); // epoch 1: other shuffles, crops and flips
        }
        string saved;
        using (var loader = new TensorLoader(data.Store, options))
        {
            Run(loader);
            Assert.Equal(3, Run(loader, stopAfter: 3).Count);
            saved = JsonSerializer.Serialize(loader.State); // as a checkpoint would keep it, in a new process
        }
        using var resumed = new TensorLoader(data.Store, options, JsonSerializer.Deserialize<LoaderState>(saved));
        var rest = Run(resumed);
        Assert.Equal(whole.Count - 3, rest.Count);
        for (int i = 0; i < rest.Count; i++)
        {
            Assert.Equal(whole[i + 3].Images, rest[i].Images);
            Assert.Equal(whole[i + 3].Labels, rest[i].Labels);
        }
        Assert.Equal(new LoaderState(2, 0, 5, 64, 1), resumed.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_ranks_get_equal_batch_counts_and_disjoint_images(bool dropLast)
    {
        using var data = new TempStore(1003);
        var perRank = Enumerable.Range(0, 2).Select(rank =>
        {
            var options = Options(LoaderOutput.BytesChw);
            (options.Rank, options.WorldSize, options.DropLast) = (rank, 2, dropLast);
            using var loader = new TensorLoader(data.Store, options);
            Assert.Equal((rank, 2), (loader.Rank, loader.WorldSize));
            var ids = new List<long>();
            int batches = 0;
            foreach (var batch in loader.NextEpoch())
            {
                Assert.Equal(batch.Count, (int)batch.Images.shape[0]);
                ids.AddRange(batch.Source.Ids.ToArray());
                batches++;
            }
            Assert.Equal(loader.BatchesPerEpoch, batches);
            return (Batches: batches, Ids: ids);
        }).ToList();
        Assert.Equal(perRank[0].Batches, perRank[1].Batches);
        // 1,003 images: with drop-last 501 each, in 7 whole batches of 64; without, padded to 1,004 with one image
        // from the epoch's start (DistributedSampler's rule), 502 each in 8 batches.
        Assert.Equal(dropLast ? 7 : 8, perRank[0].Batches);
        var all = perRank.SelectMany(r => r.Ids).ToList();
        Assert.Equal(dropLast ? 896 : 1003, all.Distinct().Count());
        Assert.Equal(dropLast ? 896 : 1004, all.Count);
    }

    [Fact]
    public void Tensors_disposed_by_the_caller_are_made_again()
    {
        using var data = new TempStore(130);
        using var loader = new TensorLoader(data.Store, Options(LoaderOutput.BytesChw));
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (images, labels) in loader.NextEpoch())
            {
                Assert.False(images.IsInvalid);
                Assert.Equal(images.shape[0], labels.shape[0]);
                using var scope = NewDisposeScope();
                images.Dispose(); // what a careless `using var` in a loop body does
                labels.Dispose();
            }
        Assert.Equal(2, loader.State.Epoch);
    }

    [Fact]
    public void A_second_epoch_at_once_is_refused()
    {
        using var data = new TempStore(10);
        using var loader = new TensorLoader(data.Store, Options(LoaderOutput.BytesHwc));
        using var first = loader.NextEpoch().GetEnumerator();
        Assert.True(first.MoveNext());
        Assert.Throws<InvalidOperationException>(() => loader.NextEpoch());
    }
}
