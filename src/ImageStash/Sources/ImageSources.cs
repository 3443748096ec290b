namespace ImageStash.Sources;

/// <summary>
/// Opens a source from what a user types: a path (kind detected) or <c>synthetic:COUNT[:WxH]</c>. Kinds from other
/// assemblies (Hugging Face Parquet) join with <see cref="Register"/>.
/// </summary>
public static class ImageSources
{
    private static readonly Lock Gate = new();
    private static ISourceProvider[] _providers = [];

    /// <summary>Adds a kind of source; a provider already registered (the same instance or type) is not added twice.</summary>
    public static void Register(ISourceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (Gate)
            if (!_providers.Any(p => p.GetType() == provider.GetType())) _providers = [.. _providers, provider];
    }

    /// <summary>Opens the source that <paramref name="spec"/> names.</summary>
    /// <exception cref="ImageStashException">The spec names nothing readable; the message says what was expected.</exception>
    public static IImageSource Open(string spec, SourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        options ??= new SourceOptions();
        if (spec.StartsWith("synthetic:", StringComparison.OrdinalIgnoreCase) || spec.Equals("synthetic", StringComparison.OrdinalIgnoreCase))
            return ParseSynthetic(spec, options);
        if (CifarBinarySource.Recognizes(spec)) return new CifarBinarySource(spec, options);
        foreach (var provider in Volatile.Read(ref _providers))
            if (provider.Matches(spec)) return provider.Open(spec, options);
        if (WebDatasetSource.Recognizes(spec)) return new WebDatasetSource(spec, options);
        if (Directory.Exists(spec)) return new ImageFolderSource(spec, options);
        if (File.Exists(spec))
            throw ImageStashException.BadSource(spec, $"not a source ImageStash reads; give a CIFAR-10 .tar.gz/.bin, a folder of class folders, {string.Join(", ", Volatile.Read(ref _providers).Select(p => p.Hint + ", "))}WebDataset .tar files (a folder, a file or data-{{000..009}}.tar), or synthetic:COUNT[:WxH].");
        throw ImageStashException.BadSource(spec, "no such file or folder.");
    }

    private static SyntheticSource ParseSynthetic(string spec, SourceOptions options)
    {
        var parts = spec.Split(':');
        long count = 1000;
        var shape = options.Resize ?? new ImageShape(32, 32, 3);
        try
        {
            if (parts.Length > 1 && parts[1].Length > 0 && (!long.TryParse(parts[1], out count) || count < 0))
                throw new FormatException($"'{parts[1]}' is not a count.");
            if (parts.Length > 2) shape = ImageShape.ParseSize(parts[2]);
            if (parts.Length > 3) throw new FormatException("too many parts.");
        }
        catch (FormatException e)
        {
            throw ImageStashException.BadSource(spec, $"{e.Message} Write synthetic:COUNT or synthetic:COUNT:WxH, e.g. synthetic:1000:32x32.");
        }
        return new SyntheticSource(count, shape, options);
    }
}
