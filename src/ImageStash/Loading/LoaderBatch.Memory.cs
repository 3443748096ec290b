namespace ImageStash.Loading;

// The batch's buffers as Memory, for frameworks that keep a view over them (ImageStash.TorchSharp's tensors).
public sealed partial class LoaderBatch
{
    /// <summary>
    /// <see cref="Pixels"/> as memory: the first <see cref="Count"/> images of a pooled array that is pinned for the
    /// loader's life and reused for later batches. A framework may wrap the array (<c>MemoryMarshal.TryGetArray</c>)
    /// in a tensor once and keep it: the array never moves, and each batch overwrites it in place. What it holds is this
    /// batch's only until the next batch is requested.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loader hands out floats: use <see cref="FloatMemory"/>.</exception>
    public ReadOnlyMemory<byte> PixelMemory => Output switch
    {
        LoaderOutput.BytesHwc => PixelBuffer.AsMemory(0, (int)(Count * Shape.ByteCount)),
        LoaderOutput.BytesChw => ChwBuffer.AsMemory(0, (int)(Count * Shape.ByteCount)),
        _ => throw new InvalidOperationException("This loader hands out normalised floats (LoaderOutput.FloatsChw): read FloatMemory."),
    };

    /// <summary><see cref="Floats"/> as memory, over a pinned, pooled array, as <see cref="PixelMemory"/> is.</summary>
    /// <exception cref="InvalidOperationException">The loader hands out bytes: use <see cref="PixelMemory"/>.</exception>
    public ReadOnlyMemory<float> FloatMemory => FloatBuffer is { } f
        ? f.AsMemory(0, (int)(Count * Shape.ByteCount))
        : throw new InvalidOperationException($"This loader hands out bytes ({Output}): read PixelMemory, or use LoaderOutput.FloatsChw.");
}
