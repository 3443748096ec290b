using System.Buffers;

namespace ImageStash;

/// <summary>
/// A batch of images whose pixels live in one pooled buffer, back to back. Sources fill a batch and hand it on;
/// stores write a batch in one commit. Reuse a batch with <see cref="Clear"/> so steady state allocates nothing.
/// </summary>
public sealed class ImageBatch : IDisposable
{
    private byte[] _pixels;
    private int _used;
    private readonly List<(ImageHeader Header, int Offset)> _entries = [];

    /// <summary>Creates an empty batch.</summary>
    /// <param name="initialBytes">Pixel bytes to reserve up front.</param>
    public ImageBatch(int initialBytes = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialBytes);
        _pixels = ArrayPool<byte>.Shared.Rent(Math.Max(initialBytes, 16));
    }

    /// <summary>The number of images in the batch.</summary>
    public int Count => _entries.Count;

    /// <summary>The header of image <paramref name="index"/>.</summary>
    public ImageHeader this[int index] => _entries[index].Header;

    /// <summary>The pixels (HWC bytes) of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPixels(int index)
    {
        var (header, offset) = _entries[index];
        return _pixels.AsSpan(offset, header.Shape.ByteCount);
    }

    /// <summary>Image <paramref name="index"/>'s pixels for its producer to fill (e.g. in parallel after adding headers).</summary>
    internal Span<byte> GetWritablePixels(int index)
    {
        var (header, offset) = _entries[index];
        return _pixels.AsSpan(offset, header.Shape.ByteCount);
    }

    /// <summary>Every image's pixels back to back, in batch order (N×H×W×C when the shapes agree).</summary>
    internal ReadOnlySpan<byte> AllPixels => _pixels.AsSpan(0, _used);

    /// <summary>Adds an image, copying its pixels.</summary>
    /// <exception cref="ArgumentException">The pixel count does not match the shape.</exception>
    public void Add(ImageHeader header, ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != header.Shape.ByteCount)
            throw new ArgumentException($"Image {header.Id} is {header.Shape} ({header.Shape.ByteCount} bytes) but {pixels.Length} pixel bytes were given.", nameof(pixels));
        pixels.CopyTo(AddUninitialized(header));
    }

    /// <summary>Adds an image and returns its pixel span for the caller to fill (saves a copy when decoding).</summary>
    public Span<byte> AddUninitialized(ImageHeader header)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(header.Id);
        int size = header.Shape.ByteCount;
        EnsureCapacity(_used + size);
        _entries.Add((header, _used));
        var span = _pixels.AsSpan(_used, size);
        _used += size;
        return span;
    }

    /// <summary>Gives image <paramref name="index"/> another id (e.g. to append after a store's last id).</summary>
    public void SetId(int index, long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        var (header, offset) = _entries[index];
        _entries[index] = (header with { Id = id }, offset);
    }

    /// <summary>Empties the batch, keeping its buffer.</summary>
    public void Clear()
    {
        _entries.Clear();
        _used = 0;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _pixels, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        _entries.Clear();
        _used = 0;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _pixels.Length) return;
        ObjectDisposedException.ThrowIf(_pixels.Length == 0, this);
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _pixels.Length * 2));
        _pixels.AsSpan(0, _used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_pixels);
        _pixels = bigger;
    }
}
