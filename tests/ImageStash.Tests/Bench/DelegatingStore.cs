namespace ImageStash.Tests.Bench;

/// <summary>A store that passes every call to another; test stores override the calls they meddle with.</summary>
internal abstract class DelegatingStore(IImageStore inner, string format) : IImageStore
{
    public string Path => inner.Path;
    public string Format => format;
    public long Count => inner.Count;
    public ImageShape? FixedShape => inner.FixedShape;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public void SetClassNames(IReadOnlyList<string> names) => inner.SetClassNames(names);
    public IEnumerable<long> EnumerateIds() => inner.EnumerateIds();
    public virtual bool TryGetHeader(long id, out ImageHeader header) => inner.TryGetHeader(id, out header);
    public virtual ImageHeader Read(long id, Span<byte> pixels) => inner.Read(id, pixels);
    public virtual void Put(ImageBatch batch, bool overwrite = false) => inner.Put(batch, overwrite);
    public virtual void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels) => inner.ReadMany(ids, pixels, labels);
    public void Dispose() => inner.Dispose();
}
