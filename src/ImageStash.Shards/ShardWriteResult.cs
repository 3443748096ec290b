namespace ImageStash.Shards;

/// <summary>What <see cref="ShardWriter.Write"/> did.</summary>
/// <param name="Destination">The set written.</param>
/// <param name="Samples">Samples in the set.</param>
/// <param name="Shards">Shards in the set.</param>
/// <param name="Bytes">Bytes in all shards.</param>
/// <param name="Stored">Shards stored by this run.</param>
/// <param name="Reused">Shards already there from an earlier, interrupted run of the same write (not stored again).</param>
/// <param name="Removed">Files of an earlier set at the destination, no longer listed, deleted after the new index was published.</param>
/// <param name="Elapsed">Wall time of the whole write.</param>
public sealed record ShardWriteResult(string Destination, long Samples, int Shards, long Bytes, int Stored, int Reused, int Removed, TimeSpan Elapsed);
