using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImageStash.Sources;

/// <summary>
/// Reads WebDataset tar sets as others write them: a <c>.tar</c> file, a folder of them, or a brace pattern
/// (<c>data-{000000..000099}.tar</c>). Members are grouped into samples by key (the member's path up to the first dot
/// of its last part: <c>train/000123.jpg</c> and <c>train/000123.cls</c> are sample <c>train/000123</c>); the image
/// comes from <c>.jpg</c>, <c>.jpeg</c>, <c>.png</c> or <c>.webp</c>, the label from <c>.cls</c> (an integer) or a
/// <c>"label"</c> integer in <c>.json</c>. Images are checked and kept as image folders are.
/// </summary>
/// <remarks>A sample without an image, or a member without a key, fails the import or is skipped as
/// <see cref="SourceOptions.OnError"/> says. Samples have no class names; a sample without a label gets -1.</remarks>
public sealed partial class WebDatasetSource : IImageSource
{
    private static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp"];

    private readonly string _spec;
    private readonly SourceOptions _options;
    private readonly IReadOnlyList<string> _tars;
    private readonly List<string> _skipped = [];
    private readonly ImageFileBatcher _batcher;

    /// <summary>Finds the tar files that <paramref name="spec"/> names (nothing is read yet).</summary>
    /// <exception cref="ImageStashException">The spec names no tar files, or a file of the pattern is missing.</exception>
    public WebDatasetSource(string spec, SourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        _spec = spec;
        _options = options ?? new SourceOptions();
        _batcher = new ImageFileBatcher(_options);
        _tars = ListTars(spec);
    }

    /// <summary>Whether <paramref name="spec"/> names WebDataset tars: a <c>.tar</c> file, a brace pattern of them, or a folder holding <c>.tar</c> files.</summary>
    public static bool Recognizes(string spec) =>
        spec.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) && (File.Exists(spec) || spec.Contains('{'))
        || Directory.Exists(spec) && Directory.EnumerateFiles(spec, "*.tar").Any();

    /// <inheritdoc />
    public string Description => $"WebDataset '{_spec}' ({_tars.Count} tar file{(_tars.Count == 1 ? "" : "s")})";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => [];

    /// <inheritdoc />
    public long? Count => null;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => [.. _skipped, .. _batcher.Skipped];

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize) => _batcher.Batch(Samples(), batchSize);

    /// <summary>Nothing to release: tar files are opened and closed while reading.</summary>
    public void Dispose() { }

    private static List<string> ListTars(string spec)
    {
        if (Directory.Exists(spec))
        {
            var found = Directory.GetFiles(spec, "*.tar").Order(StringComparer.Ordinal).ToList();
            return found.Count > 0 ? found : throw ImageStashException.BadSource(spec, "no .tar files in this folder.");
        }
        var tars = Expand(spec);
        if (tars.FirstOrDefault(t => !File.Exists(t)) is { } missing)
            throw ImageStashException.BadSource(spec, $"'{missing}' does not exist{(tars.Count > 1 ? $" (one of the {tars.Count} files the pattern names)" : "")}.");
        return tars;
    }

    /// <summary>Expands brace patterns as WebDataset does: <c>{000..009}</c> (zero-padded to the first number's width) and <c>{a,b}</c>.</summary>
    internal static List<string> Expand(string pattern)
    {
        var m = BraceGroup().Match(pattern);
        if (!m.Success) return [pattern];
        string head = pattern[..m.Index], tail = pattern[(m.Index + m.Length)..];
        var parts = new List<string>();
        if (m.Groups["from"].Success)
        {
            string from = m.Groups["from"].Value;
            long a = long.Parse(from), b = long.Parse(m.Groups["to"].Value);
            if (b < a || b - a > 1_000_000) throw ImageStashException.BadSource(pattern, $"the range {m.Value} is empty or too large.");
            for (long i = a; i <= b; i++) parts.Add(i.ToString().PadLeft(from.Length, '0'));
        }
        else parts.AddRange(m.Groups["list"].Value.Split(','));
        return [.. parts.SelectMany(p => Expand(head + p + tail))];
    }

    [GeneratedRegex(@"\{(?:(?<from>\d+)\.\.(?<to>\d+)|(?<list>[^{}]*,[^{}]*))\}")]
    private static partial Regex BraceGroup();

    /// <summary>The samples with an image, one at a time; the image's bytes stay valid until the next is asked for.</summary>
    private IEnumerable<ImageFile> Samples()
    {
        var sample = new Sample();
        foreach (string tar in _tars)
        {
            using var stream = new FileStream(tar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new TarReader(stream);
            sample.Reset("");
            long end = 0; // where the last member's data ends, padded to a block
            while (NextMember(reader, tar, sample.Key) is { } entry)
            {
                end = entry.DataOffset + (entry.Length + 511) / 512 * 512;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string member = entry.Name;
                int slash = member.LastIndexOf('/');
                int dot = member.IndexOf('.', slash + 1);
                if (dot == slash + 1 || dot < 0)
                {
                    Bad($"'{tar}' member '{member}' has no key (a name before the first dot of its file name and an extension after it)");
                    continue;
                }
                string key = member[..dot], extension = member[(dot + 1)..].ToLowerInvariant();
                if (key != sample.Key)
                {
                    if (Finish(sample, tar) is { } file) yield return file;
                    sample.Reset(key);
                }
                sample.Extensions.Add(extension);
                if (sample.Image is null && ImageExtensions.Contains(extension))
                {
                    sample.Image = member;
                    sample.ImageLength = ReadData(entry, tar, ref sample.ImageBuffer);
                }
                else if (extension is "cls" or "json" or "txt")
                    ReadMeta(entry, tar, extension, sample);
            }
            // A tar cut at a member's boundary reads as a shorter archive: only the end-of-archive blocks (zeros)
            // after the last member tell the two apart, and the last sample may have lost members.
            if (stream.Length < end + 512)
                throw new InvalidDataException($"'{tar}' is truncated{(sample.Key.Length > 0 ? $" after key '{sample.Key}'" : "")}: it ends without the end-of-archive blocks a whole tar file has; download or write it again.");
            if (Finish(sample, tar) is { } last) yield return last;
        }
    }

    private static TarEntry? NextMember(TarReader reader, string tar, string after)
    {
        try { return reader.GetNextEntry(copyData: false); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"'{tar}' is truncated or damaged{(after.Length > 0 ? $" after key '{after}'" : "")}: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>Reads a member's data into <paramref name="buffer"/> (grown as needed); its length.</summary>
    private static int ReadData(TarEntry entry, string tar, ref byte[] buffer)
    {
        if (entry.Length > Array.MaxLength) throw new InvalidDataException($"'{tar}' member '{entry.Name}' is {entry.Length:N0} bytes, too large for one image.");
        int length = (int)entry.Length;
        if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];
        try { entry.DataStream?.ReadExactly(buffer, 0, length); }
        catch (EndOfStreamException e) { throw new InvalidDataException($"'{tar}' is truncated in member '{entry.Name}' ({length:N0} bytes expected).", e); }
        return length;
    }

    /// <summary>
    /// A sample's label (.cls, or a <c>label</c> in .json when there is no .cls) and fields: .txt becomes the field
    /// <c>text</c> (a caption), a .json object's members become fields.
    /// </summary>
    private static void ReadMeta(TarEntry entry, string tar, string extension, Sample sample)
    {
        int length = ReadData(entry, tar, ref sample.Scratch);
        var data = sample.Scratch.AsSpan(0, length);
        if (extension == "cls")
        {
            if (int.TryParse(Encoding.UTF8.GetString(data).Trim(), out int cls)) sample.Label = cls;
            else throw new InvalidDataException($"'{tar}' member '{entry.Name}' is not an integer class label: '{Encoding.UTF8.GetString(data[..Math.Min(length, 40)]).Trim()}'.");
            return;
        }
        if (extension == "txt")
        {
            sample.Fields ??= new System.Text.Json.Nodes.JsonObject();
            sample.Fields["text"] = Encoding.UTF8.GetString(data);
            return;
        }
        System.Text.Json.Nodes.JsonNode? json;
        try { json = System.Text.Json.Nodes.JsonNode.Parse(data); }
        catch (JsonException e) { throw new InvalidDataException($"'{tar}' member '{entry.Name}' is not JSON: {e.Message}", e); }
        if (json is not System.Text.Json.Nodes.JsonObject members) return;
        if (sample.Label is null && members["label"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out int label)) sample.Label = label;
        sample.Fields ??= new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, member) in members.ToList())
        {
            members.Remove(name);
            sample.Fields[name] = member;
        }
    }

    private ImageFile? Finish(Sample sample, string tar)
    {
        if (sample.Key.Length == 0) return null;
        if (sample.Image is null)
        {
            Bad($"'{tar}' key '{sample.Key}' has no image (.{string.Join(", .", ImageExtensions)}) among its members (.{string.Join(", .", sample.Extensions)})");
            return null;
        }
        string where = $"'{tar}' key '{sample.Key}'";
        RecordFields? fields = null;
        if (sample.Fields is { Count: > 0 })
        {
            try { fields = RecordFields.FromObject(sample.Fields); }
            catch (ArgumentException e)
            {
                Bad($"{where}: its fields (.txt, .json) are not ones a record keeps: {e.Message.TrimEnd('.')}");
                return null;
            }
        }
        return new ImageFile(sample.ImageBuffer.AsMemory(0, sample.ImageLength), sample.Label ?? -1, sample.Image, where, fields);
    }

    private void Bad(string problem)
    {
        if (_options.OnError == SourceErrorMode.Fail) throw new InvalidDataException($"{problem}; fix or remove it, or pass --on-error skip.");
        _skipped.Add(problem);
    }

    /// <summary>The members of one key read so far (buffers kept from sample to sample).</summary>
    private sealed class Sample
    {
        public string Key = "";
        public string? Image;
        public int ImageLength;
        public int? Label;
        public System.Text.Json.Nodes.JsonObject? Fields;
        public byte[] ImageBuffer = new byte[1 << 16];
        public byte[] Scratch = new byte[4096];
        public readonly List<string> Extensions = [];

        public void Reset(string key)
        {
            (Key, Image, ImageLength, Label, Fields) = (key, null, 0, null, null);
            Extensions.Clear();
        }
    }
}
