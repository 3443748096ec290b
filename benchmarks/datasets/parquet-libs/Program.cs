// Minimal readers of a Hugging Face image Parquet file with Parquet.Net 6.1.0 (managed) and ParquetSharp 25.0.1.2
// (Arrow C++): every row group's image.bytes, image.path and label read, the bytes summed (a checksum so nothing is
// skipped). Prints rows/s and this process's peak RSS (VmHWM). One library per process, so peaks don't mix.
//   dotnet bin/Release/net10.0/ParquetLibs.dll parquetnet|parquetsharp FILE.parquet [REPEAT=3]   (benchmarks/datasets/run.sh)
using System.Diagnostics;

string lib = args[0], file = args[1];
int repeat = args.Length > 2 ? int.Parse(args[2]) : 3;
for (int r = 0; r < repeat; r++)
{
    var sw = Stopwatch.StartNew();
    (long rows, long bytes, long check) = lib switch
    {
        "parquetnet" => await ParquetNet(file),
        "parquetsharp" => ParquetSharpRead(file),
        _ => throw new ArgumentException(lib),
    };
    double s = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"{lib} run {r + 1}: {rows} rows, {bytes / 1e6:F1} MB of image bytes in {s:F2} s = {rows / s:F0} rows/s ({bytes / 1e6 / s:F0} MB/s), check {check}, peak RSS {Hwm()} MB");
}

static long Hwm() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

static async Task<(long, long, long)> ParquetNet(string file)
{
    long rows = 0, bytes = 0, check = 0;
    await using var reader = await Parquet.ParquetReader.CreateAsync(file);
    var fields = reader.Schema.GetDataFields();
    var imageBytes = fields.First(f => f.Path.ToString() is "image/bytes" or "image.bytes");
    var imagePath = fields.First(f => f.Path.ToString() is "image/path" or "image.path");
    var label = fields.First(f => f.Name == "label");
    for (int g = 0; g < reader.RowGroupCount; g++)
    {
        using var group = reader.OpenRowGroupReader(g);
        int n = checked((int)group.RowCount);
        var data = new byte[]?[n];
        var paths = new string?[n];
        var labels = new long?[n];
        await group.ReadAsync(imageBytes, data.AsMemory(), null);
        await group.ReadAsync(imagePath, paths.AsMemory(), null);
        await group.ReadAsync<long>(label, labels.AsMemory(), null);
        foreach (byte[]? b in data) { if (b is null) continue; bytes += b.Length; check += b[^1]; rows++; }
        foreach (string? p in paths) check += p?.Length ?? 0;
        foreach (long? l in labels) check += l ?? 0;
    }
    return (rows, bytes, check);
}

static unsafe (long, long, long) ParquetSharpRead(string file)
{
    long rows = 0, bytes = 0, check = 0;
    using var reader = new ParquetSharp.ParquetFileReader(file);
    var meta = reader.FileMetaData;
    int bytesCol = -1, pathCol = -1, labelCol = -1;
    for (int c = 0; c < meta.Schema.NumColumns; c++)
        switch (meta.Schema.Column(c).Path.ToDotString())
        {
            case "image.bytes": bytesCol = c; break;
            case "image.path": pathCol = c; break;
            case "label": labelCol = c; break;
        }
    var values = new ParquetSharp.ByteArray[1024];
    var defs = new short[1024];
    var labels = new long[1024];
    for (int g = 0; g < meta.NumRowGroups; g++)
    {
        using var group = reader.RowGroup(g);
        long n = group.MetaData.NumRows;
        using (var col = (ParquetSharp.ColumnReader<ParquetSharp.ByteArray>)group.Column(bytesCol))
            while (col.HasNext)
            {
                long read = col.ReadBatch(values.Length, defs, null, values, out long valuesRead);
                for (int i = 0; i < valuesRead; i++) { bytes += values[i].Length; check += ((byte*)values[i].Pointer)[values[i].Length - 1]; rows++; }
            }
        using (var col = (ParquetSharp.ColumnReader<ParquetSharp.ByteArray>)group.Column(pathCol))
            while (col.HasNext)
            {
                col.ReadBatch(values.Length, defs, null, values, out long valuesRead);
                for (int i = 0; i < valuesRead; i++) check += System.Text.Encoding.UTF8.GetString((byte*)values[i].Pointer, values[i].Length).Length;
            }
        using (var col = (ParquetSharp.ColumnReader<long>)group.Column(labelCol))
            while (col.HasNext)
            {
                col.ReadBatch(labels.Length, defs, null, labels, out long valuesRead);
                for (int i = 0; i < valuesRead; i++) check += labels[i];
            }
    }
    return (rows, bytes, check);
}
