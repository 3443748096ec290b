using System.Globalization;
using System.Text.Json;

namespace ImageStash.Shards;

/// <summary>
/// A shard set's <c>index.json</c>: its shards in order, their sample counts, sizes and checksums, the class names,
/// the ids file and a format version. It is written last, as the commit point: a set without one was never finished.
/// Layout: docs/formats/shards.md.
/// </summary>
public sealed record ShardIndex
{
    /// <summary>The <c>format</c> field every index has.</summary>
    public const string FormatName = "imagestash-shards";

    /// <summary>
    /// The newest format version this library reads and writes: 2, whose samples' JSON may carry "fields". A set
    /// with no fields is written as version 1, as before fields, so older readers still read it.
    /// </summary>
    public const int CurrentVersion = 2;

    /// <summary>The format version of a set none of whose samples has fields.</summary>
    public const int VersionWithoutFields = 1;

    /// <summary>
    /// The largest index.json read, 16 MiB: an index takes about 100 bytes a shard and the class names, so this holds
    /// some 150,000 shards; a larger one is refused before it is read (a server or a sparse file could send gigabytes).
    /// </summary>
    public const long MaxBytes = 16 << 20;

    /// <summary>The file (object) name of the index inside a set.</summary>
    public const string FileName = "index.json";

    /// <summary>The format version the set was written with.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The shards, in the order the samples were written.</summary>
    public required IReadOnlyList<ShardEntry> Shards { get; init; }

    /// <summary>Class names indexed by label; empty when unknown.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>The ids file: every sample's id and label in the order written (a NumPy .npy of int64 pairs).</summary>
    public required ShardEntry Ids { get; init; }

    /// <summary>The shape of every sample when all are raw pixels of one shape (the article's stores), else null.</summary>
    public ImageShape? FixedShape { get; init; }

    /// <summary>How the samples were ordered when written: "shuffled" (with <see cref="Seed"/>) or "ids".</summary>
    public string Order { get; init; } = "shuffled";

    /// <summary>The seed of a shuffled order.</summary>
    public int Seed { get; init; }

    /// <summary>The target shard size the writer used, in bytes.</summary>
    public long ShardSize { get; init; }

    /// <summary>
    /// Each field name the samples carry with how many samples carry it, in the order first written (index member
    /// <c>"fields"</c>, version 2; empty when no sample has fields).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> FieldCounts { get; init; } = [];

    /// <summary>Samples in all shards.</summary>
    public long Samples => Shards.Sum(s => s.Samples);

    /// <summary>Bytes in all shards.</summary>
    public long Bytes => Shards.Sum(s => s.Bytes);

    /// <summary>The index as JSON (UTF-8, indented).</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", FormatName);
            json.WriteNumber("version", Version);
            json.WriteNumber("samples", Samples);
            json.WriteNumber("bytes", Bytes);
            json.WriteNumber("shard_size", ShardSize);
            json.WriteString("order", Order);
            json.WriteNumber("seed", Seed);
            if (FixedShape is { } shape)
            {
                json.WriteStartArray("fixed_shape");
                json.WriteNumberValue(shape.Height);
                json.WriteNumberValue(shape.Width);
                json.WriteNumberValue(shape.Channels);
                json.WriteEndArray();
            }
            json.WriteStartArray("class_names");
            foreach (string name in ClassNames) json.WriteStringValue(name);
            json.WriteEndArray();
            if (FieldCounts.Count > 0)
            {
                json.WriteStartObject("fields");
                foreach (var (name, count) in FieldCounts) json.WriteNumber(name, count);
                json.WriteEndObject();
            }
            json.WritePropertyName("ids");
            Write(json, Ids);
            json.WriteStartArray("shards");
            foreach (var shard in Shards) Write(json, shard);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Reads an index.</summary>
    /// <param name="json">The bytes of index.json.</param>
    /// <param name="where">The set, for messages.</param>
    /// <exception cref="InvalidDataException">Not an index, or damaged; the message names <paramref name="where"/>.</exception>
    /// <exception cref="ImageStashException">Written by a newer ImageStash (a format version above <see cref="CurrentVersion"/>).</exception>
    public static ShardIndex Parse(ReadOnlyMemory<byte> json, string where)
    {
        try
        {
            if (json.Length > MaxBytes) throw new InvalidDataException($"'{where}': {FileName} is {json.Length:N0} bytes, more than an index can be ({MaxBytes:N0}).");
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != FormatName)
                throw new InvalidDataException($"'{where}': {FileName} is not an ImageStash shard index (no \"format\": \"{FormatName}\").");
            int version = root.GetProperty("version").GetInt32();
            if (version > CurrentVersion)
                throw new ImageStashException($"'{where}' was written by a newer ImageStash (shard format version {version}; this one reads up to {CurrentVersion}): upgrade ImageStash to read it.", ImageStashError.NotAStore);
            if (version < 1) throw new InvalidDataException($"'{where}': {FileName} has format version {version}.");
            var shards = root.GetProperty("shards").EnumerateArray().Select(Entry).ToArray();
            if (shards.FirstOrDefault(s => s.Samples == 0) is { } empty) throw new FormatException($"shard '{empty.Name}' holds no samples");
            // Every sample takes at least two tar headers (its JSON and its image): a count the bytes can't hold is a
            // lie that would size the ids file, and the memory to read it, after it.
            if (shards.FirstOrDefault(s => s.Samples > s.Bytes / (2 * 512)) is { } lie)
                throw new FormatException($"shard '{lie.Name}' claims {lie.Samples:N0} samples in {lie.Bytes:N0} bytes");
            ImageShape? fixedShape = root.TryGetProperty("fixed_shape", out var fs) && fs.ValueKind == JsonValueKind.Array
                ? new ImageShape(fs[0].GetInt32(), fs[1].GetInt32(), fs[2].GetInt32()) : null;
            var index = new ShardIndex
            {
                Version = version,
                Shards = shards,
                Ids = Entry(root.GetProperty("ids")),
                ClassNames = root.TryGetProperty("class_names", out var names) ? [.. names.EnumerateArray().Select(n => n.GetString() ?? "")] : [],
                FixedShape = fixedShape,
                Order = root.TryGetProperty("order", out var order) ? order.GetString() ?? "" : "",
                Seed = root.TryGetProperty("seed", out var seed) ? seed.GetInt32() : 0,
                ShardSize = root.TryGetProperty("shard_size", out var size) ? size.GetInt64() : 0,
                FieldCounts = root.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Object
                    ? [.. fields.EnumerateObject().Select(f => new KeyValuePair<string, long>(f.Name, f.Value.GetInt64()))] : [],
            };
            if (root.TryGetProperty("samples", out var samples) && samples.GetInt64() != index.Samples)
                throw new InvalidDataException($"'{where}': {FileName} says {samples.GetInt64():N0} samples but its shards hold {index.Samples:N0}.");
            return index;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"'{where}': {FileName} is damaged ({e.Message}); write the shard set again with 'imagestash shard'.", e);
        }
    }

    private static ShardEntry Entry(JsonElement e)
    {
        string name = e.GetProperty("name").GetString() ?? throw new FormatException("a shard without a name");
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
            throw new FormatException($"shard name '{name}' is not a plain file name");
        long samples = e.GetProperty("samples").GetInt64(), bytes = e.GetProperty("bytes").GetInt64();
        if (samples < 0 || bytes < 0) throw new FormatException($"shard '{name}' has a negative count");
        return new ShardEntry(name, samples, bytes, uint.Parse(e.GetProperty("crc32").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    private static void Write(Utf8JsonWriter json, ShardEntry entry)
    {
        json.WriteStartObject();
        json.WriteString("name", entry.Name);
        json.WriteNumber("samples", entry.Samples);
        json.WriteNumber("bytes", entry.Bytes);
        json.WriteString("crc32", entry.Crc32.ToString("x8", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }
}
