using ImageStash.Loading;

namespace ImageStash.TorchSharp.Tests;

/// <summary>Counts every thread's allocations: run alone, so no other test's allocations are counted.</summary>
[CollectionDefinition("Alone", DisableParallelization = true)]
public sealed class AloneCollection;

[Collection("Alone")]
public sealed class AllocationTests
{
    private static LoaderOptions Options(LoaderOutput output) => new() { BatchSize = 64, Output = output, Workers = 2, RandomHorizontalFlip = true };

    /// <summary>Managed bytes allocated per batch in steady state, by the whole process: the least of three windows,
    /// because other threads' noise (the runtime's timers) only adds.</summary>
    private static long PerBatch(Func<IEnumerable<bool>> epoch)
    {
        // Warm: every pooled buffer has its tensors, and the code is compiled (the runtime's compiler allocates as it goes).
        for (int i = 0; i < 20; i++) foreach (var _ in epoch()) { }
        long perBatch = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            int batches = 0;
            for (int i = 0; i < 10; i++) foreach (var _ in epoch()) batches++;
            perBatch = Math.Min(perBatch, (GC.GetTotalAllocatedBytes(precise: true) - before) / batches);
        }
        return perBatch;
    }

    [Theory]
    [InlineData(LoaderOutput.BytesHwc)]
    [InlineData(LoaderOutput.FloatsChw)]
    public void Batches_as_tensors_allocate_nothing_per_batch_beyond_the_loaders_own(LoaderOutput output)
    {
        using var data = new TempStore(64 * 8);
        long tensors, plain;
        using (var loader = new TensorLoader(data.Store, Options(output)))
            tensors = PerBatch(() => loader.NextEpoch().Select(b => !b.Images.IsInvalid && !b.Labels.IsInvalid)); // (Tensor.shape would allocate)
        using (var loader = new ImageLoader(data.Store, Options(output)))
            plain = PerBatch(() => loader.NextEpoch().Select(b => b.Count > 0));
        // A batch is 196,608 bytes (786,432 as floats). What the loader allocates (a few hundred bytes per batch, for
        // its threads' hand-offs and each epoch's enumerators) is its own; the tensors add only their epoch's enumerator.
        Assert.True(tensors - plain < 64, $"tensors: {tensors} bytes per batch; the loader alone: {plain}");
        Assert.True(tensors < 1024, $"tensors: {tensors} bytes per batch");
    }
}
