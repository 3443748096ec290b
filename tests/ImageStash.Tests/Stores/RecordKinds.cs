using ImageStash.Codecs;

namespace ImageStash.Tests.Stores;

/// <summary>
/// The kinds of record every store must hold, alone and mixed in one batch: raw images of one shape (the article's
/// case), raw images of many shapes and channel counts, JPEG files and PNG files kept as their bytes, and a mix of
/// all of them with WebP. Two records in three carry fields (a caption with non-ASCII text and quotes, tags, a box),
/// the third none, so every store keeps fields and their absence.
/// </summary>
public static class RecordKinds
{
    public static IReadOnlyList<string> Names { get; } = ["raw-fixed", "raw-variable", "jpeg", "png", "mixed"];

    /// <summary>Every store kind (the test-only zip store too) × every record kind.</summary>
    public static TheoryData<string, string> StoresAndKinds => Pairs(StoreKinds.Contract);

    /// <summary>The built-in store kinds × every record kind (for tests that read the files with other tools).</summary>
    public static TheoryData<string, string> BuiltinStoresAndKinds => Pairs(StoreKinds.Names);

    private static TheoryData<string, string> Pairs(IReadOnlyList<string> stores)
    {
        var data = new TheoryData<string, string>();
        foreach (string store in stores)
            foreach (string kind in Names) data.Add(store, kind);
        return data;
    }

    /// <summary>The fields record <paramref name="id"/> carries in the shared suite: none for every third id.</summary>
    public static RecordFields? FieldsFor(long id) => id % 3 == 2 ? null
        : RecordFields.Parse("{\"text\":\"photo " + id + ": a \\\"café\\\" — 猫, line\\nbreak\",\"tags\":[\"t" + id % 5 + "\",\"x\"],"
            + "\"box\":[" + id + ",2.5,-3,1e3],\"source\":{\"n\":" + id + ",\"ok\":true,\"none\":null}}");

    /// <summary>A batch of records of <paramref name="kind"/> with ids from <paramref name="firstId"/>, names, labels and fields set.</summary>
    public static ImageBatch Make(string kind, long firstId = 0, int seed = 1)
    {
        var batch = new ImageBatch();
        var rng = new Random(seed);
        long id = firstId;
        void Raw(ImageShape shape)
        {
            var pixels = batch.AddUninitialized(new ImageHeader(id, shape, rng.Next(10), $"raw-{id}") { Fields = FieldsFor(id) });
            rng.NextBytes(pixels);
            id++;
        }
        void File(byte[] bytes, string name)
        {
            var codec = ImageCodecs.Detect(bytes)!;
            batch.Add(new ImageHeader(id, codec.ReadInfo(bytes).Shape, rng.Next(10), name) { Encoding = codec.Encoding, Fields = FieldsFor(id) }, bytes);
            id++;
        }
        void Jpegs(int count)
        {
            foreach (string f in Directory.GetFiles(TestData.Path("photos"), "*.jpg", SearchOption.AllDirectories).Order().Take(count))
                File(System.IO.File.ReadAllBytes(f), Path.GetRelativePath(TestData.Path("photos"), f));
        }
        void Pngs()
        {
            foreach (int channels in new[] { 1, 3, 4 })
            {
                var shape = new ImageShape(20 + channels, 30 - channels, channels);
                var pixels = new byte[shape.ByteCount];
                rng.NextBytes(pixels);
                File(TestImages.Png(pixels, shape), $"made-{channels}.png");
            }
            File(System.IO.File.ReadAllBytes(TestData.Path("photo-oddities/palette.png")), "palette.png");
            File(System.IO.File.ReadAllBytes(TestData.Path("photo-oddities/grey-16bit.png")), "grey-16bit.png");
        }
        switch (kind)
        {
            case "raw-fixed":
                for (int i = 0; i < 12; i++) Raw(new ImageShape(7, 5, 3));
                break;
            case "raw-variable":
                foreach (var (h, w, c) in new[] { (7, 5, 3), (1, 1, 1), (40, 3, 4), (9, 31, 3), (16, 16, 1), (5, 7, 3) }) Raw(new ImageShape(h, w, c));
                break;
            case "jpeg":
                Jpegs(8);
                break;
            case "png":
                Pngs();
                break;
            case "mixed":
                Raw(new ImageShape(6, 6, 3));
                Jpegs(2);
                File(System.IO.File.ReadAllBytes(TestData.Path("photo-oddities/webp.webp")), "webp.webp");
                Pngs();
                Raw(new ImageShape(3, 9, 1));
                File(System.IO.File.ReadAllBytes(TestData.Path("photo-oddities/exif-orientation-6.jpg")), "exif.jpg");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown record kind");
        }
        return batch;
    }
}
