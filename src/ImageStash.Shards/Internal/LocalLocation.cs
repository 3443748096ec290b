namespace ImageStash.Shards.Internal;

/// <summary>A shard set in a local folder: files are read where they are; writing moves finished files in.</summary>
internal sealed class LocalLocation(string folder) : ShardLocation
{
    private readonly string _folder = Path.GetFullPath(folder);

    public override string Display => folder;

    public override string CacheKey => "file:" + _folder;

    public override string? LocalPath(string name) => Path.Combine(_folder, name);

    public override byte[]? TryReadSmall(string name, long limit, CancellationToken cancel)
    {
        FileStream file;
        try { file = new FileStream(Path.Combine(_folder, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        using (file)
            return ReadCapped(file, name, file.CanSeek ? file.Length : 0, limit, cancel).GetAwaiter().GetResult();
    }

    public override long Download(string name, long bytes, string target, CancellationToken cancel)
    {
        File.Copy(Path.Combine(_folder, name), target);
        return new FileInfo(target).Length;
    }

    public override bool Exists(string name, long bytes, CancellationToken cancel) =>
        new FileInfo(Path.Combine(_folder, name)) is { Exists: true } f && f.Length == bytes;

    public override void Upload(string file, string name, CancellationToken cancel) =>
        File.Move(file, Path.Combine(_folder, name), overwrite: true);

    public override void PutSmall(string name, byte[] bytes, CancellationToken cancel) =>
        StoreFiles.WriteAtomic(Path.Combine(_folder, name), bytes, sync: true);

    public override IReadOnlyList<string> List(CancellationToken cancel) =>
        Directory.Exists(_folder) ? [.. Directory.EnumerateFiles(_folder).Select(Path.GetFileName).OfType<string>()] : [];

    public override void Delete(string name, CancellationToken cancel) => File.Delete(Path.Combine(_folder, name));

    public override void PrepareForWriting(CancellationToken cancel)
    {
        if (File.Exists(_folder)) throw ImageStashException.NotAStore(folder, "shard set (a shard set is a folder)");
        try { Directory.CreateDirectory(_folder); }
        catch (UnauthorizedAccessException e) { throw ImageStashException.NotWritable(folder, e); }
        catch (IOException e) { throw ImageStashException.NotWritable(folder, e); }
    }
}
