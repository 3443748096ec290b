using ImageStash.Internal;

namespace ImageStash.Sources;

/// <summary>
/// Turns a stream of image files read one at a time (rows of a Parquet file, members of a tar) into the batches a
/// store writes, the way an image folder is imported: each file checked by a decode on every core while the store
/// writes the previous batch, kept bit-exact or made anew per <see cref="SourceOptions"/>, and a bad file failing the
/// import or skipped as <see cref="SourceOptions.OnError"/> says. A source in another assembly builds on this.
/// </summary>
/// <param name="options">How to read: <see cref="SourceOptions.Limit"/>, the check, resizing and encoding, and the error mode.</param>
public sealed class ImageFileBatcher(SourceOptions? options = null)
{
    private readonly SourceOptions _options = options ?? new SourceOptions();
    private readonly List<string> _skipped = [];

    /// <summary>The files skipped under <see cref="SourceErrorMode.Skip"/>, one line each (where and why).</summary>
    public IReadOnlyList<string> Skipped => _skipped;

    /// <summary>
    /// Yields batches of the good files among <paramref name="files"/>, with ids 0, 1, 2, … in order, at most
    /// <see cref="SourceOptions.Limit"/> of them. The files are enumerated on a pool thread, one chunk at a time (never
    /// two at once), and each file's bytes are copied before the next is asked for. The same batch instance may be
    /// refilled for each batch: use it before asking for the next.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidDataException">A file is not an image that decodes and <see cref="SourceOptions.OnError"/> is
    /// <see cref="SourceErrorMode.Fail"/>; the message names where it was found.</exception>
    public IEnumerable<ImageBatch> Batch(IEnumerable<ImageFile> files, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Read(files, batchSize);
    }

    private IEnumerable<ImageBatch> Read(IEnumerable<ImageFile> files, int batchSize)
    {
        using var e = files.GetEnumerator();
        // Only while a stage is filled: its records' headers carry the names on.
        var names = new (int Label, string Name, string Where, RecordFields? Fields)[Math.Min(batchSize, ImageFileStage.ChunkFiles)];
        foreach (var batch in ImageFileStage.Run(batchSize, _options.Limit ?? long.MaxValue, stage => Fill(stage, e, names), _options.OnError, _skipped, "fix or remove it"))
            yield return batch;
    }

    /// <summary>Copies the next files into <paramref name="stage"/> on this thread, then checks them on every core.</summary>
    private bool Fill(ImageFileStage stage, IEnumerator<ImageFile> files, (int Label, string Name, string Where, RecordFields? Fields)[] names)
    {
        int count = 0;
        while (count < stage.Capacity && files.MoveNext())
        {
            var file = files.Current;
            long end = stage.Offsets[count] + file.Bytes.Length;
            stage.Count = count;
            stage.EnsureBuffer(end, file.Where);
            file.Bytes.Span.CopyTo(stage.Buffer.AsSpan((int)stage.Offsets[count]));
            stage.Offsets[count + 1] = end;
            names[count++] = (file.Label, file.Name, file.Where, file.Fields);
        }
        stage.Count = count;
        if (count == 0) return false;
        ParallelWork.For(count, i =>
        {
            var (label, name, where, fields) = names[i];
            var prepared = ImageFileStage.Prepare(stage.Slot(i), false, label, name, where, _options);
            stage.Results[i] = fields is null || prepared.Error is not null ? prepared : prepared with { Header = prepared.Header with { Fields = fields } };
        });
        return true;
    }
}
