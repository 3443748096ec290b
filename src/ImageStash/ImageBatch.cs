using System.Buffers;

namespace ImageStash;

/// <summary>
/// A batch of records whose payloads (raw pixels or encoded bytes) live in one pooled buffer, back to back.
/// Sources fill a batch and hand it on; stores write a batch in one commit. One batch may mix sizes and encodings.
/// Reuse a batch with <see cref="Clear"/> so steady state allocates nothing.
/// </summary>
public sealed class ImageBatch : IDisposable
{
    private byte[] _payloads;
    private int _used;
    private readonly bool _external; // the buffer belongs to the producer (AddInPlace): not pooled, never grown
    private readonly List<(ImageHeader Header, int Offset)> _entries = [];

    /// <summary>Creates an empty batch.</summary>
    /// <param name="initialBytes">Payload bytes to reserve up front.</param>
    public ImageBatch(int initialBytes = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialBytes);
        _payloads = ArrayPool<byte>.Shared.Rent(Math.Max(initialBytes, 16));
    }

    /// <summary>A batch over a buffer its producer owns and fills itself: records are added where their payloads already are.</summary>
    internal ImageBatch(byte[] external, bool _)
    {
        _payloads = external;
        _external = true;
    }

    /// <summary>
    /// For a batch over the producer's buffer: adds a record whose <paramref name="length"/>-byte payload the producer
    /// has put right after the previous one's.
    /// </summary>
    internal void AddInPlace(ImageHeader header, int length)
    {
        if (!_external || (long)_used + length > _payloads.Length) throw new InvalidOperationException("AddInPlace is for batches over a producer's buffer, within it.");
        _entries.Add((header with { PayloadLength = length }, _used));
        _used += length;
    }

    /// <summary>The number of records in the batch.</summary>
    public int Count => _entries.Count;

    /// <summary>The header of record <paramref name="index"/> (its <see cref="ImageHeader.PayloadLength"/> set).</summary>
    public ImageHeader this[int index] => _entries[index].Header;

    /// <summary>The payload of record <paramref name="index"/>: raw HWC pixels or the encoded bytes.</summary>
    public ReadOnlySpan<byte> GetPayload(int index)
    {
        var (header, offset) = _entries[index];
        return _payloads.AsSpan(offset, (int)header.PayloadLength);
    }

    /// <summary>The pixels (HWC bytes) of raw record <paramref name="index"/>.</summary>
    /// <exception cref="InvalidOperationException">The record is encoded: use <see cref="GetPayload"/>.</exception>
    public ReadOnlySpan<byte> GetPixels(int index)
    {
        if (!_entries[index].Header.IsRaw)
            throw new InvalidOperationException($"Record {_entries[index].Header.Id} is {_entries[index].Header.Encoding}-encoded; read its bytes with GetPayload.");
        return GetPayload(index);
    }

    /// <summary>Record <paramref name="index"/>'s payload for its producer to fill (e.g. in parallel after adding headers).</summary>
    internal Span<byte> GetWritablePayload(int index)
    {
        var (header, offset) = _entries[index];
        return _payloads.AsSpan(offset, (int)header.PayloadLength);
    }

    /// <summary>Every payload back to back, in batch order (N×H×W×C when all are raw of one shape): what a store can write in one go.</summary>
    public ReadOnlySpan<byte> Payloads => _payloads.AsSpan(0, _used);

    /// <summary>
    /// Adds a record, copying its payload: raw pixels (exactly <see cref="ImageShape.ByteCount"/> bytes) when the
    /// header's encoding is <see cref="ImageEncoding.Raw"/>, otherwise the encoded bytes as they are.
    /// </summary>
    /// <exception cref="ArgumentException">Raw pixels do not match the shape, or an encoded payload is empty.</exception>
    public void Add(ImageHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.IsRaw && payload.Length != header.Shape.ByteCount)
            throw new ArgumentException($"Image {header.Id} is {header.Shape} ({header.Shape.ByteCount} bytes) but {payload.Length} pixel bytes were given.", nameof(payload));
        if (!header.IsRaw && payload.IsEmpty)
            throw new ArgumentException($"Image {header.Id} is {header.Encoding}-encoded but its payload is empty.", nameof(payload));
        payload.CopyTo(Reserve(header, payload.Length));
    }

    /// <summary>Adds a raw record and returns its pixel span for the caller to fill (saves a copy when decoding).</summary>
    /// <exception cref="ArgumentException">The header is not raw.</exception>
    public Span<byte> AddUninitialized(ImageHeader header)
    {
        if (!header.IsRaw) throw new ArgumentException($"Image {header.Id} is {header.Encoding}-encoded; add its bytes with Add.", nameof(header));
        return Reserve(header, header.Shape.Length);
    }

    /// <summary>Gives record <paramref name="index"/> another id (e.g. to append after a store's last id).</summary>
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
        var buffer = Interlocked.Exchange(ref _payloads, []);
        if (buffer.Length > 0 && !_external) ArrayPool<byte>.Shared.Return(buffer);
        _entries.Clear();
        _used = 0;
    }

    private Span<byte> Reserve(ImageHeader header, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(header.Id);
        if ((long)_used + length > Array.MaxLength)
            throw new ArgumentException($"Image {header.Id} ({length:N0} bytes) does not fit in this batch's buffer ({_used:N0} bytes used); use smaller batches.", nameof(header));
        EnsureCapacity(_used + length);
        _entries.Add((header with { PayloadLength = length }, _used));
        var span = _payloads.AsSpan(_used, length);
        _used += length;
        return span;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _payloads.Length) return;
        ObjectDisposedException.ThrowIf(_payloads.Length == 0, this);
        if (_external) throw new InvalidOperationException("A batch over its producer's buffer cannot grow.");
        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_payloads.Length * 2)));
        _payloads.AsSpan(0, _used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_payloads);
        _payloads = bigger;
    }
}
