namespace ImageStash;

/// <summary>
/// What a streaming store needs to know to order one rank's epochs (<see cref="IStreamingStore.Order"/>): the
/// loader's seed, batching and place among the ranks, and nothing else of the loader's.
/// </summary>
public sealed record EpochOrderOptions
{
    /// <summary>Creates the options; the values are checked at once.</summary>
    /// <param name="seed">The seed every epoch's order derives from.</param>
    /// <param name="batchSize">Images per batch (at least 1).</param>
    /// <param name="rank">This reader's rank, from 0 to <paramref name="worldSize"/> − 1.</param>
    /// <param name="worldSize">How many ranks share each epoch (at least 1).</param>
    /// <param name="shuffle">Whether to shuffle; false keeps the store's own order.</param>
    /// <param name="dropLast">Whether every rank drops a short last batch rather than padding it.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or world size is below 1, or the rank is not in [0, world size).</exception>
    public EpochOrderOptions(int seed, int batchSize, int rank = 0, int worldSize = 1, bool shuffle = true, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        (Seed, BatchSize, Rank, WorldSize, Shuffle, DropLast) = (seed, batchSize, rank, worldSize, shuffle, dropLast);
    }

    /// <summary>The seed every epoch's order derives from.</summary>
    public int Seed { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>This reader's rank.</summary>
    public int Rank { get; }

    /// <summary>How many ranks share each epoch.</summary>
    public int WorldSize { get; }

    /// <summary>Whether epochs are shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a short last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The state of a reader that has not started: epoch 0, batch 0, with these options recorded.</summary>
    public EpochOrderState Beginning => new(0, 0, Seed, BatchSize, WorldSize);

    /// <summary>
    /// Refuses a saved state that these options cannot continue: another seed or batch size, a negative position,
    /// or (unless <paramref name="anyWorldSize"/>) another world size. A state of an older version that recorded
    /// no batch size or world size (0) is accepted when the world size must match.
    /// </summary>
    /// <param name="resume">The saved state.</param>
    /// <param name="anyWorldSize">True for an order that splits what is left of an epoch among any number of ranks
    /// (a shard set); the state must then record its world size and batch size.</param>
    /// <exception cref="ArgumentException">The state cannot be continued with these options; the message says why.</exception>
    public void CheckResume(EpochOrderState resume, bool anyWorldSize)
    {
        ArgumentNullException.ThrowIfNull(resume);
        if (resume.Seed != Seed)
            throw new ArgumentException($"The saved state was made with seed {resume.Seed}, these options have seed {Seed}; resume with the same seed.", nameof(resume));
        if (resume.BatchSize != BatchSize && (anyWorldSize || resume.BatchSize != 0))
            throw new ArgumentException($"The saved state counts batches of {resume.BatchSize}, these options make batches of {BatchSize}; resume with the same batch size, or its position would skip or repeat images.", nameof(resume));
        if (!anyWorldSize && resume.WorldSize != 0 && resume.WorldSize != WorldSize)
            throw new ArgumentException($"The saved state was made by one of {resume.WorldSize} ranks, these options have {WorldSize}; a store's loader resumes only with the same world size (shards resume elastically).", nameof(resume));
        if (resume is { Epoch: < 0 } or { Batch: < 0 } || (anyWorldSize && resume.WorldSize < 1))
            throw new ArgumentException(anyWorldSize ? "A saved state has a non-negative epoch and batch and a world size of at least 1." : "A saved state has a non-negative epoch and batch.", nameof(resume));
    }
}
