using ImageStash.Loading;
using static TorchSharp.torch;

namespace ImageStash.TorchSharp;

/// <summary>
/// One batch as tensors: <see cref="Images"/> and <see cref="Labels"/>, valid until the next batch is requested (on
/// the CPU they are views over the loader's pooled buffers, which the next batch overwrites; <c>clone()</c> what you
/// keep). Deconstructs as <c>var (images, labels) = batch</c>, like a TorchSharp DataLoader's pair.
/// </summary>
public readonly struct TensorBatch
{
    internal TensorBatch(Tensor images, Tensor labels, LoaderBatch source)
    {
        Images = images;
        Labels = labels;
        Source = source;
    }

    /// <summary>
    /// The images: uint8 N×H×W×C (<see cref="LoaderOutput.BytesHwc"/>), uint8 N×C×H×W (<see cref="LoaderOutput.BytesChw"/>)
    /// or normalised float32 N×C×H×W (<see cref="LoaderOutput.FloatsChw"/>), on the loader's device.
    /// </summary>
    public Tensor Images { get; }

    /// <summary>The labels, int64 N (what <c>cross_entropy</c> takes), on the loader's device.</summary>
    public Tensor Labels { get; }

    /// <summary>The loader's batch behind the tensors: its ids, epoch and index.</summary>
    public LoaderBatch Source { get; }

    /// <summary>Images in the batch (N).</summary>
    public int Count => Source.Count;

    /// <summary>Splits the batch into its two tensors.</summary>
    public void Deconstruct(out Tensor images, out Tensor labels) => (images, labels) = (Images, Labels);
}
