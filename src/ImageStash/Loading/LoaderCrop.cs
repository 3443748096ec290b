namespace ImageStash.Loading;

/// <summary>How the photo pipeline (<see cref="LoaderOptions.Size"/>) cuts each image to the output size.</summary>
public enum LoaderCrop
{
    /// <summary>
    /// Training: a random rectangle of 8–100 % of the image's area and aspect ratio 3/4–4/3, resized to the output
    /// (torchvision's RandomResizedCrop; bounds in <see cref="LoaderOptions.MinScale"/> and friends).
    /// </summary>
    Random,

    /// <summary>Evaluation: the shorter side resized to <see cref="LoaderOptions.Size"/> ÷ <see cref="LoaderOptions.CenterFraction"/>, then the centre cut out (torchvision's Resize(256) + CenterCrop(224)).</summary>
    Center,
}
