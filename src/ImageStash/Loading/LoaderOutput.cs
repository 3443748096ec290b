namespace ImageStash.Loading;

/// <summary>The memory layout of a batch's pixels: each one contiguous, as <c>torch.tensor(span, shape)</c> takes it.</summary>
public enum LoaderOutput
{
    /// <summary>uint8 N×H×W×C: what stores hold; <see cref="LoaderBatch.Pixels"/>.</summary>
    BytesHwc,

    /// <summary>uint8 N×C×H×W: PyTorch's layout, unnormalised; <see cref="LoaderBatch.Pixels"/>.</summary>
    BytesChw,

    /// <summary>float32 N×C×H×W, each channel (x / 255 − mean) / std (<see cref="LoaderOptions.Mean"/>, <see cref="LoaderOptions.Std"/>); <see cref="LoaderBatch.Floats"/>.</summary>
    FloatsChw,
}
