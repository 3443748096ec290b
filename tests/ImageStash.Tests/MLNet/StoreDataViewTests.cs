using ImageStash.MLNet;
using ImageStash.Sources;
using ImageStash.Tools;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageStash.Tests.MLNet;

/// <summary>The ML.NET view over a store, with the real ML.NET: its columns, cursor sets, shuffling, and a trainer fed from it.</summary>
public sealed class StoreDataViewTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<long> Ids(IDataView view)
    {
        var ids = new List<long>();
        using var cursor = view.GetRowCursor([view.Schema["Id"]]);
        var getter = cursor.GetGetter<long>(view.Schema["Id"]);
        long id = 0;
        while (cursor.MoveNext())
        {
            getter(ref id);
            ids.Add(id);
        }
        return ids;
    }

    [Fact]
    public void Every_column_holds_the_stores_values_and_the_label_is_a_key_with_the_class_names()
    {
        using var store = Stores.StoreKinds.Create("lmdb", _dir.Path);
        using var batch = Stores.RecordKinds.Make("mixed");
        store.Put(batch);
        store.SetClassNames([.. Enumerable.Range(0, 10).Select(i => $"class-{i}")]);
        var view = new StoreDataView(store);
        var label = view.Schema["Label"];
        Assert.IsType<KeyDataViewType>(label.Type);
        VBuffer<ReadOnlyMemory<char>> names = default;
        label.Annotations.GetValue("KeyValues", ref names);
        Assert.Equal(store.ClassNames, names.DenseValues().Select(n => n.ToString()));
        Assert.Null(view.Schema.GetColumnOrNull("Pixels")); // mixed sizes: no fixed pixel vector

        using var cursor = view.GetRowCursor(view.Schema);
        var (id, key, name, bytes) = (0L, 0u, default(ReadOnlyMemory<char>), default(VBuffer<byte>));
        var getId = cursor.GetGetter<long>(view.Schema["Id"]);
        var getLabel = cursor.GetGetter<uint>(label);
        var getName = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Name"]);
        var getBytes = cursor.GetGetter<VBuffer<byte>>(view.Schema["ImageBytes"]);
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Text"]);
        var getFields = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Fields"]);
        var (text, fields) = (default(ReadOnlyMemory<char>), default(ReadOnlyMemory<char>));
        int row = 0;
        while (cursor.MoveNext())
        {
            getId(ref id);
            getLabel(ref key);
            getName(ref name);
            getBytes(ref bytes);
            getText(ref text);
            getFields(ref fields);
            var header = batch[row];
            Assert.Equal(header.Id, id);
            Assert.Equal((uint)header.Label + 1, key);
            Assert.Equal(header.Name ?? "", name.ToString());
            Assert.Equal(header.Fields?.Json ?? "", fields.ToString());
            Assert.Equal(header.Fields?.GetString("text") ?? "", text.ToString());
            Assert.Equal(batch.GetPayload(row).ToArray(), bytes.DenseValues().ToArray());
            row++;
        }
        Assert.Equal(batch.Count, row);
    }

    private sealed class CaptionRow
    {
        public long Id { get; set; }
        public string Text { get; set; } = "";
        public string Fields { get; set; } = "";
        public float[] TextFeatures { get; set; } = [];
    }

    [Fact]
    public void The_text_column_feeds_FeaturizeText_and_the_fields_column_holds_each_records_json()
    {
        using var store = Stores.StoreKinds.Create("hdf5", _dir.Path);
        using (var batch = Stores.RecordKinds.Make("jpeg")) store.Put(batch);
        var ml = new MLContext(seed: 1);
        var view = new StoreDataView(store);
        var featurized = ml.Transforms.Text.FeaturizeText("TextFeatures", "Text").Fit(view).Transform(view);
        var rows = ml.Data.CreateEnumerable<CaptionRow>(featurized, reuseRowObject: false).ToList();
        Assert.Equal(store.Count, rows.Count);
        foreach (var row in rows)
        {
            var expected = Stores.RecordKinds.FieldsFor(row.Id);
            Assert.Equal(expected?.Json ?? "", row.Fields);
            Assert.Equal(expected?.GetString("text") ?? "", row.Text);
            // A caption gives some n-gram counts; a record without fields an all-zero vector.
            Assert.Equal(expected is not null, row.TextFeatures.Any(v => v != 0));
        }
        Assert.Contains(rows, r => r.Text.Length == 0);
    }

    [Fact]
    public void A_cursor_set_reads_every_row_once_and_shuffling_gives_a_new_order()
    {
        using var store = Stores.StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = TestData.Batch(1_000, new ImageShape(8, 8, 3))) store.Put(batch);
        var view = new StoreDataView(store);
        var cursors = view.GetRowCursorSet([view.Schema["Id"], view.Schema["Pixels"]], 3);
        Assert.Equal(3, cursors.Length);
        var seen = new List<long>();
        foreach (var cursor in cursors)
            using (cursor)
            {
                var getter = cursor.GetGetter<long>(view.Schema["Id"]);
                long id = 0;
                while (cursor.MoveNext())
                {
                    getter(ref id);
                    seen.Add(id);
                }
            }
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), seen.Order());

        var ml = new MLContext(seed: 1);
        var shuffled = Ids(ml.Data.ShuffleRows(view, seed: 5));
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), shuffled.Order());
        Assert.NotEqual(shuffled, Ids(view));
        var ours = Ids(new ShuffledView(view, new Random(3)));
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), ours.Order());
        Assert.NotEqual(ours, Ids(view));
    }

    /// <summary>The view's own seeded order: a cursor asked for with a random source.</summary>
    private sealed class ShuffledView(IDataView inner, Random random) : IDataView
    {
        public bool CanShuffle => true;
        public DataViewSchema Schema => inner.Schema;
        public long? GetRowCount() => inner.GetRowCount();
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => inner.GetRowCursor(columnsNeeded, random);
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => inner.GetRowCursorSet(columnsNeeded, n, random);
    }

    [Fact]
    [Trait("Tier", "Full")] // trains SDCA on the CIFAR sample: ~7 s, too slow for the quick tier
    public void Sdca_trained_from_the_view_on_the_cifar_sample_scores_well_above_chance()
    {
        IImageStore Import(CifarSplit split, string name)
        {
            var store = Stores.StoreKinds.Create("lmdb", _dir.Path, name);
            using var source = ImageSources.Open(TestData.CifarTarGz, new SourceOptions { Split = split });
            StoreImporter.Import(source, store);
            return store;
        }
        using var train = Import(CifarSplit.Train, "train");
        using var test = Import(CifarSplit.Test, "test");
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.NormalizeMinMax("Features", "Pixels")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features", maximumNumberOfIterations: 20));
        var model = pipeline.Fit(ml.Data.ShuffleRows(new StoreDataView(train), seed: 2));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(new StoreDataView(test)));
        output.WriteLine($"SDCA on {train.Count} CIFAR sample images: {metrics.MicroAccuracy:P1} on {test.Count} test images");
        Assert.True(metrics.MicroAccuracy > 0.2, $"accuracy {metrics.MicroAccuracy:P1} on {test.Count} test images (chance: 10 %)");
    }
}
