using System.Buffers;
using ImageStash.Codecs;
using ImageStash.Internal;

namespace ImageStash.Tools;

/// <summary>Checks a store record by record through the store contract, so it works for every kind.</summary>
public static class StoreVerifier
{
    /// <summary>
    /// Checks that ids are unique and ascending, every id has a header with a sane shape, labels fall within the
    /// class names (when the store has any) and, when <paramref name="deep"/>, that every record's payload reads back
    /// whole (CRC-32 for LMDB and HDF5, PNG's chunk CRCs and zlib checksum for PNG folders) and every encoded image
    /// decodes to the shape its header gives. A damaged record is listed with its reason; checking goes on.
    /// </summary>
    public static VerifyReport Verify(IImageStore store, bool deep, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<VerifyProblem>();
        long checkedCount = 0, previous = long.MinValue;
        List<long> ids;
        try { ids = [.. StreamingStores.ReadOrder(store)]; }
        catch (InvalidDataException e)
        {
            return new VerifyReport(store.Path, store.Format, 0, deep, [new VerifyProblem(null, $"cannot list ids: {e.Message}")]);
        }
        foreach (var chunk in ids.Chunk(256))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var found = new string?[chunk.Length];
            ParallelWork.For(chunk.Length, i => found[i] = Check(store, chunk[i], deep), parallel: deep);
            for (int i = 0; i < chunk.Length; i++)
            {
                long id = chunk[i];
                if (id <= previous && store is not IStreamingStore) problems.Add(new VerifyProblem(id, previous == id ? "id appears twice" : $"ids out of order ({id} after {previous})"));
                previous = id;
                if (found[i] is { } reason) problems.Add(new VerifyProblem(id, reason));
            }
            checkedCount += chunk.Length;
            progress?.Report(checkedCount);
        }
        return new VerifyReport(store.Path, store.Format, checkedCount, deep, problems);
    }

    /// <summary>What is wrong with one record, or null.</summary>
    private static string? Check(IImageStore store, long id, bool deep)
    {
        try
        {
            if (!store.TryGetHeader(id, out var header)) return "listed but has no record";
            if (store.ClassNames.Count > 0 && (header.Label < 0 || header.Label >= store.ClassNames.Count))
                return $"label {header.Label} is outside the {store.ClassNames.Count} class names";
            if (store.FixedShape is { } shape && header.Shape != shape)
                return $"shape {header.Shape} differs from the store's {shape}";
            if (!deep) return null;
            byte[] payload = ArrayPool<byte>.Shared.Rent((int)header.PayloadLength);
            try
            {
                store.Read(id, payload);
                if (header.IsRaw) return null;
                byte[] pixels = ArrayPool<byte>.Shared.Rent(header.Shape.Length);
                try
                {
                    var decoded = ImageCodecs.Decode(payload.AsSpan(0, (int)header.PayloadLength), header.Encoding, header.Shape.Channels, pixels);
                    return decoded == header.Shape ? null : $"decodes to {decoded}, but its header says {header.Shape}";
                }
                finally { ArrayPool<byte>.Shared.Return(pixels); }
            }
            finally { ArrayPool<byte>.Shared.Return(payload); }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ImageStashException)
        {
            return e.Message;
        }
    }
}
