namespace ImageStash.Tests.Bench;

/// <summary>A PNG folder store that flips one pixel on read-many: the bench must catch it.</summary>
internal sealed class BrokenStore(IImageStore inner) : IImageStore
{
    public static IStoreProvider Provider { get; } = new BrokenProvider();

    public string Path => inner.Path;
    public string Format => "broken";
    public long Count => inner.Count;
    public ImageShape? FixedShape => inner.FixedShape;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public void SetClassNames(IReadOnlyList<string> names) => inner.SetClassNames(names);
    public IEnumerable<long> EnumerateIds() => inner.EnumerateIds();
    public bool TryGetHeader(long id, out ImageHeader header) => inner.TryGetHeader(id, out header);
    public ImageHeader Read(long id, Span<byte> pixels) => inner.Read(id, pixels);
    public void Put(ImageBatch batch, bool overwrite = false) => inner.Put(batch, overwrite);
    public void Dispose() => inner.Dispose();

    public void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        inner.ReadMany(ids, pixels, labels);
        if (ids.Length > 1) pixels[pixels.Length / 2 + 1] ^= 0x40;
    }

    private sealed class BrokenProvider : IStoreProvider
    {
        public string Format => "broken";
        public bool Matches(string path) => false;
        public IImageStore Open(string path, StoreOptions options) =>
            new BrokenStore(PngFolderStore.Provider.Open(path, options));
    }
}
