using ImageStash.Codecs;
using ImageStash.Internal;
using ImageStash.Pixels;

namespace ImageStash.Sources;

/// <summary>
/// Reads an "ImageFolder" tree: one subfolder per class holding image files (JPEG, PNG, WebP) of any size. The label
/// is the index of the class folder's name in ordinal order; files are read in ordinal order within a class. A
/// <c>metadata.jsonl</c> in the folder (Hugging Face ImageFolder's, and what <c>imagestash export</c> writes) gives
/// images their fields and, where a line has an integer <c>label</c>, their label; with one, images directly in the
/// folder are read too (label 0 unless the metadata gives one).
/// </summary>
/// <remarks>
/// By default each file's bytes are kept exactly as they are, and each file is checked by a full decode first, so a
/// damaged file is caught at import, not in the middle of training. <see cref="SourceOptions.Resize"/>,
/// <see cref="SourceOptions.MaxSide"/> and <see cref="SourceOptions.Encode"/> store decoded RGB pixels instead (grey
/// replicated, alpha dropped, EXIF orientation applied), resized or re-encoded as asked. Files are read and decoded
/// on every core, the next batch while the store writes the last one.
/// </remarks>
public sealed class ImageFolderSource : IImageSource
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif" };

    private readonly string _root;
    private readonly SourceOptions _options;
    private readonly List<(string File, int Label, RecordFields? Fields)> _files = [];
    private readonly List<string> _skipped = [];

    /// <summary>Lists the images under <paramref name="root"/> (nothing is decoded yet).</summary>
    /// <exception cref="ImageStashException">The folder is missing or holds no class folders with images.</exception>
    public ImageFolderSource(string root, SourceOptions? options = null)
    {
        _root = root;
        _options = options ?? new SourceOptions();
        if (!Directory.Exists(root)) throw ImageStashException.BadSource(root, "no such folder.");
        ClassNames = [.. Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        var metadata = FolderMetadata.Read(root);
        void Add(string file, int label)
        {
            if (!Extensions.Contains(Path.GetExtension(file))) return;
            if (metadata is not null && metadata.TryGetValue(FolderMetadata.Normalise(Path.GetRelativePath(root, file)), out var entry))
                _files.Add((file, entry.Label ?? label, entry.Fields));
            else _files.Add((file, label, null));
        }
        if (metadata is not null)
            foreach (string file in Directory.GetFiles(root).Order(StringComparer.Ordinal)) Add(file, 0);
        for (int label = 0; label < ClassNames.Count; label++)
            foreach (string file in Directory.GetFiles(Path.Combine(root, ClassNames[label])).Order(StringComparer.Ordinal)) Add(file, label);
        if (_files.Count == 0)
            throw ImageStashException.BadSource(root, "no images found; expected one subfolder per class holding .jpg/.png/.webp files.");
    }

    /// <inheritdoc />
    public string Description => $"image folder '{_root}' ({ClassNames.Count} classes)";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public long? Count => _options.Limit is { } limit ? Math.Min(limit, _files.Count) : _files.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => _skipped;

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Read(batchSize);
    }

    private IEnumerable<ImageBatch> Read(int batchSize)
    {
        int position = 0;
        return ImageFileStage.Run(batchSize, Count ?? _files.Count, stage => Fill(stage, ref position), _options.OnError, _skipped, "fix or remove the file");
    }

    /// <summary>Reads and checks the next files into <paramref name="stage"/> on every core; false when none are left.</summary>
    private bool Fill(ImageFileStage stage, ref int position)
    {
        int take = Math.Min(stage.Capacity, _files.Count - position);
        if (take <= 0) return false;
        int from = position;
        position += take;
        // Where each file goes: its length now (a file that has changed by the time it is read is read on its own).
        var lengths = new long[take];
        ParallelWork.For(take, i => lengths[i] = Length(_files[from + i].File));
        for (int i = 0; i < take; i++) stage.Offsets[i + 1] = stage.Offsets[i] + lengths[i];
        stage.EnsureBuffer(stage.Offsets[take], $"'{_files[from].File}'");
        stage.Count = take;
        ParallelWork.For(take, i => stage.Results[i] = Prepare(_files[from + i].File, _files[from + i].Label, _files[from + i].Fields, stage.Slot(i)));
        return true;
    }

    private static long Length(string file)
    {
        try { return new FileInfo(file).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; } // reported when it is read
    }

    /// <summary>Nothing to release: files are opened and closed while reading.</summary>
    public void Dispose() { }
    /// <summary>Reads one file into <paramref name="slot"/> (its size when listed), checks that it decodes, and makes its record.</summary>
    private ImageFileStage.Prepared Prepare(string file, int label, RecordFields? fields, Span<byte> slot)
    {
        try
        {
            byte[]? own = null;
            int length = FileUtil.ReadInto(file, slot, ref own);
            var bytes = own is null ? slot[..length] : own.AsSpan(0, length);
            // A file that changed size since it was listed was read on its own: its record carries its bytes.
            var prepared = ImageFileStage.Prepare(bytes, own is not null, label, Path.GetRelativePath(_root, file), $"'{file}'", _options);
            return fields is null || prepared.Error is not null ? prepared : prepared with { Header = prepared.Header with { Fields = fields } };
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new ImageFileStage.Prepared(default, null, e is InvalidDataException ? $"'{file}': {e.Message.TrimEnd('.')}" : e.Message.TrimEnd('.'));
        }
    }
}
