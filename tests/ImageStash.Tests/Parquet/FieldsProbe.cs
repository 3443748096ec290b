using ImageStash.Lmdb;

namespace ImageStash.Tests.Parquet;

/// <summary>
/// Whether LMDB stores keep a record's fields yet (issue 20's step "stores keep fields"): the dataset round trips check
/// fields through a store from then on, and bytes, labels, names and class names always.
/// </summary>
internal static class FieldsProbe
{
    private static readonly Lazy<bool> s_lmdb = new(() =>
    {
        using var dir = new TempDir();
        string path = dir.File("probe.lmdb");
        var fields = RecordFields.Parse("""{"probe":1}""");
        using (var store = LmdbStore.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.CreateNew }))
        using (var batch = new ImageBatch())
        {
            batch.Add(new ImageHeader(0, new ImageShape(1, 1, 1), 0) { Fields = fields }, [7]);
            store.Put(batch);
        }
        using var read = LmdbStore.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        return read.TryGetHeader(0, out var header) && Equals(header.Fields, fields);
    });

    public static bool LmdbKeepsFields => s_lmdb.Value;
}
