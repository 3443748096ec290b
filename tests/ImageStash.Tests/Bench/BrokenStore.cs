using ImageStash.FolderStore;
namespace ImageStash.Tests.Bench;

/// <summary>A PNG folder store that flips one pixel on read-many: the bench must catch it.</summary>
internal sealed class BrokenStore(IImageStore inner) : DelegatingStore(inner, "broken")
{
    public static IStoreProvider Provider { get; } = new BrokenProvider();

    public override void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        base.ReadMany(ids, pixels, labels);
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
