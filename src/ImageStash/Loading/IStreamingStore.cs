namespace ImageStash.Loading;

/// <summary>
/// A store read best as a stream (a shard set in object storage): the loader asks it for each epoch's order, and
/// whole-store tools (export, convert, verify) read it in <see cref="StreamOrder"/> rather than by ascending id.
/// </summary>
internal interface IStreamingStore
{
    /// <summary>The loader's order for these options, resumed from <paramref name="resume"/> when given.</summary>
    /// <exception cref="ArgumentException">The state was saved with other options (seed, batch size, shuffle window).</exception>
    IEpochOrder Order(LoaderOptions options, LoaderState? resume);

    /// <summary>Every id once, in the order the store holds them (shard by shard).</summary>
    IEnumerable<long> StreamOrder();
}
