namespace ImageStash;

/// <summary>Checks a store record by record through the store contract, so it works for every kind.</summary>
public static class StoreVerifier
{
    /// <summary>
    /// Checks that ids are unique and ascending, every id has a header with a sane shape, labels fall within the
    /// class names (when the store has any) and, when <paramref name="deep"/>, that every image's pixels read back
    /// whole (CRC-32 for LMDB and HDF5, PNG's chunk CRCs and zlib checksum for PNG folders). A damaged record is
    /// listed with its reason; checking goes on.
    /// </summary>
    public static VerifyReport Verify(IImageStore store, bool deep, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<VerifyProblem>();
        long checkedCount = 0, previous = long.MinValue;
        byte[] buffer = [];
        IEnumerable<long> ids;
        try { ids = store.EnumerateIds().ToList(); }
        catch (InvalidDataException e)
        {
            return new VerifyReport(store.Path, store.Format, 0, deep, [new VerifyProblem(null, $"cannot list ids: {e.Message}")]);
        }
        foreach (long id in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            checkedCount++;
            if (id <= previous) problems.Add(new VerifyProblem(id, previous == id ? "id appears twice" : $"ids out of order ({id} after {previous})"));
            previous = id;
            try
            {
                if (!store.TryGetHeader(id, out var header))
                {
                    problems.Add(new VerifyProblem(id, "listed but has no record"));
                    continue;
                }
                if (store.ClassNames.Count > 0 && (header.Label < 0 || header.Label >= store.ClassNames.Count))
                    problems.Add(new VerifyProblem(id, $"label {header.Label} is outside the {store.ClassNames.Count} class names"));
                if (store.FixedShape is { } shape && header.Shape != shape)
                    problems.Add(new VerifyProblem(id, $"shape {header.Shape} differs from the store's {shape}"));
                if (deep)
                {
                    if (buffer.Length < header.Shape.ByteCount) buffer = new byte[header.Shape.ByteCount];
                    store.Read(id, buffer);
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ImageStashException)
            {
                problems.Add(new VerifyProblem(id, e.Message));
            }
            if (checkedCount % 1024 == 0) progress?.Report(checkedCount);
        }
        progress?.Report(checkedCount);
        return new VerifyReport(store.Path, store.Format, checkedCount, deep, problems);
    }
}
