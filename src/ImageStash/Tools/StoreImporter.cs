using ImageStash.Sources;

namespace ImageStash.Tools;

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
        long first = -1, last = -1, imported = 0;
        CheckClasses(source, store);
        foreach (var batch in source.ReadBatches(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch.Count == 0) continue;
            if (!options.KeepSourceIds)
                for (int i = 0; i < batch.Count; i++) batch.SetId(i, nextId++);
            store.Put(batch, options.Overwrite);
            if (first < 0) first = batch[0].Id;
            last = batch[batch.Count - 1].Id;
            imported += batch.Count;
            options.Progress?.Report(imported);
        }
        CheckClasses(source, store);
        if (store.ClassNames.Count == 0 && source.ClassNames.Count > 0) store.SetClassNames(source.ClassNames);
        return new ImportResult(imported, first, last, source.Skipped);
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
