namespace ImageStash.Shards;

/// <summary>One shard of a shard set, as its <c>index.json</c> lists it.</summary>
/// <param name="Name">The shard's file (object) name relative to the set: <c>shard-000000-1a2b3c4d.tar</c>.</param>
/// <param name="Samples">Samples in the shard.</param>
/// <param name="Bytes">The shard's size in bytes.</param>
/// <param name="Crc32">The CRC-32 (IEEE, as zlib.crc32) of the whole shard file.</param>
public sealed record ShardEntry(string Name, long Samples, long Bytes, uint Crc32);
