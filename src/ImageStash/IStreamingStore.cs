namespace ImageStash;

/// <summary>
/// A store read best as a stream, in an order of its own (a shard set in object storage): the loader asks it for
/// each epoch's order, and whole-store tools (export, convert, verify) read it in <see cref="StreamOrder"/> rather
/// than by ascending id. Implement it beside <see cref="IImageStore"/>; nothing of the loader's is needed.
/// </summary>
public interface IStreamingStore : IImageStore
{
    /// <summary>The order for one rank under <paramref name="options"/>, resumed from <paramref name="resume"/> when given.</summary>
    /// <param name="options">Seed, batch size, rank and world size, shuffle and drop-last, as the loader was given them.</param>
    /// <param name="resume">A state saved from <see cref="IEpochOrder.Save"/>, or null to start at epoch 0.</param>
    /// <exception cref="ArgumentException">The state was saved with other options (seed, batch size, the store's own
    /// shuffle settings) or is malformed; <see cref="EpochOrderOptions.CheckResume"/> checks the common part.</exception>
    IEpochOrder Order(EpochOrderOptions options, EpochOrderState? resume);

    /// <summary>Every id once, in the order the store holds them (shard by shard).</summary>
    IEnumerable<long> StreamOrder();
}
