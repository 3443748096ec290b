using System.Globalization;
using ImageStash.Parquet.Internal;
using ImageStash.Tools;

namespace ImageStash.Parquet;

/// <summary>
/// Writes a store as a Hugging Face image dataset: <c>OUT/data/train-00000-of-0000N.parquet</c>, files that
/// <c>datasets.load_dataset("parquet", data_dir="OUT/data")</c> loads with an Image feature and a ClassLabel.
/// Encoded images go in as the very bytes they were imported with; raw pixels as lossless PNG. Each field becomes a
/// column: strings, integers, numbers and booleans as such, anything else (objects, arrays, nulls, a mix) as JSON text
/// (see docs/formats/hf-parquet.md).
/// </summary>
public static class HfParquetExporter
{
    /// <summary>Writes every record of <paramref name="store"/> (in its read order) under <paramref name="directory"/>.</summary>
    /// <returns>The files written, in order.</returns>
    /// <exception cref="ImageStashException">The folder already holds Parquet files of this split.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    /// <exception cref="InvalidDataException">A stored image is damaged; the message names it.</exception>
    public static IReadOnlyList<string> Export(IImageStore store, string directory, HfExportOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new HfExportOptions();
        string data = Path.Combine(directory, "data");
        if (Directory.Exists(data) && Directory.EnumerateFiles(data, options.Split + "-*.parquet").Any())
            throw new ImageStashException($"'{data}' already holds {options.Split}-*.parquet files; export into a new folder.", ImageStashError.AlreadyExists);
        Directory.CreateDirectory(data);
        // A Parquet schema is fixed when a file is created: the field columns come from every record's fields first.
        var fieldColumns = new HfFieldColumns();
        foreach (long id in store.EnumerateIds())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (store.TryGetHeader(id, out var header) && header.Fields is { } fields) fieldColumns.Add(fields);
        }
        var columns = fieldColumns.Columns("image", "label");
        var written = new List<string>();
        HfParquetWriter? writer = null;
        long done = 0;
        try
        {
            // The store's own read order (a shard set's shard by shard), as convert and export read it.
            using var source = new Sources.StoreSource(store);
            foreach (var batch in source.ReadBatches(256))
            for (int i = 0; i < batch.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var header = batch[i];
                long id = header.Id;
                var file = header.IsRaw ? StoreExporter.ReadFile(store, id, out _) : batch.GetPayload(i);
                if (writer is not null && writer.ImageBytes + file.Length > options.MaxFileBytes && writer.Rows > 0)
                {
                    writer.Dispose();
                    writer = null;
                }
                if (writer is null)
                {
                    string path = Path.Combine(data, $"{options.Split}-{written.Count:D5}.parquet.partial");
                    writer = new HfParquetWriter(path, store.ClassNames, options.RowGroupRows, columns);
                    written.Add(path);
                }
                writer.Write(file, header.Name ?? id.ToString(CultureInfo.InvariantCulture) + StoreExporter.FileExtension(header), header.Label, header.Fields);
                if (++done % 1024 == 0) progress?.Report(done);
            }
            writer?.Dispose();
            writer = null;
            progress?.Report(done);
            // Named as the Hub names them once the count is known.
            var final = new List<string>();
            for (int i = 0; i < written.Count; i++)
            {
                string name = Path.Combine(data, $"{options.Split}-{i:D5}-of-{written.Count:D5}.parquet");
                File.Move(written[i], name, overwrite: true);
                final.Add(name);
            }
            return final;
        }
        catch
        {
            writer?.Dispose();
            foreach (string partial in written) File.Delete(partial);
            throw;
        }
    }
}
