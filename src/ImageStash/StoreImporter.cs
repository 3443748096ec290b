using ImageStash.Sources;

namespace ImageStash;

/// <summary>Streams a source into a store, one commit per batch, with bounded memory.</summary>
public static class StoreImporter
{
    /// <summary>
    /// Writes every image of <paramref name="source"/> into <paramref name="store"/>, renumbering ids from
    /// <see cref="ImportOptions.FirstId"/> (default: after the store's largest id). If it fails, batches already
    /// committed stay in the store.
    /// </summary>
    /// <exception cref="ImageStashException">The store refuses an image (shape, duplicate id, disk full) or the
    /// source's classes differ from the store's.</exception>
    /// <exception cref="InvalidDataException">The source is damaged; the message names the file and record.</exception>
    public static ImportResult Import(IImageSource source, IImageStore store, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImportOptions();
        long nextId = options.FirstId ?? NextFreeId(store);
        long first = nextId, imported = 0;
        CheckClasses(source, store);
        foreach (var batch in source.ReadBatches(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.KeepSourceIds) nextId = batch.Count > 0 ? batch[batch.Count - 1].Id + 1 : nextId;
            else for (int i = 0; i < batch.Count; i++) batch.SetId(i, nextId++);
            if (imported == 0 && batch.Count > 0) first = batch[0].Id;
            store.Put(batch, options.Overwrite);
            imported += batch.Count;
            options.Progress?.Report(imported);
        }
        CheckClasses(source, store);
        if (store.ClassNames.Count == 0 && source.ClassNames.Count > 0) store.SetClassNames(source.ClassNames);
        return new ImportResult(imported, imported > 0 ? first : -1, imported > 0 ? nextId - 1 : -1, source.Skipped);
    }

    /// <summary>The id after the store's largest, or 0 for an empty store.</summary>
    public static long NextFreeId(IImageStore store) => store.Count == 0 ? 0 : store.EnumerateIds().Max() + 1;

    private static void CheckClasses(IImageSource source, IImageStore store)
    {
        if (store.ClassNames.Count > 0 && source.ClassNames.Count > 0 && !store.ClassNames.SequenceEqual(source.ClassNames))
            throw new ImageStashException(
                $"store '{store.Path}' has classes [{string.Join(", ", store.ClassNames)}] but {source.Description} has [{string.Join(", ", source.ClassNames)}]; labels would mean different things — import into a new store.");
    }
}
