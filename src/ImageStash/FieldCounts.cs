namespace ImageStash;

/// <summary>
/// How many records carry each field name: what <c>imagestash info</c> prints ("text (1,000), tags (20)"). Add every
/// record's <see cref="ImageHeader.Fields"/>; names are kept in the order first seen.
/// </summary>
public sealed class FieldCounts
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>The number of records added that had fields.</summary>
    public long RecordsWithFields { get; private set; }

    /// <summary>Each field name with the number of records that carry it, in the order first seen.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Counts => [.. _order.Select(n => new KeyValuePair<string, long>(n, _counts[n]))];

    /// <summary>Counts one record's fields (null: a record without any).</summary>
    public void Add(RecordFields? fields)
    {
        if (fields is null) return;
        RecordsWithFields++;
        foreach (string name in fields.Names)
        {
            if (!_counts.TryGetValue(name, out long n)) _order.Add(name);
            _counts[name] = n + 1;
        }
    }

    /// <summary>"text (1,000), tags (20)", at most 12 names then how many more; "(none)" when no record had fields.</summary>
    public override string ToString() => Describe(Counts, name => name);

    /// <summary>Names with counts as <see cref="ToString"/> writes them (a shard set's index holds them too), each name passed through <paramref name="show"/>.</summary>
    public static string Describe(IReadOnlyList<KeyValuePair<string, long>> counts, Func<string, string> show) => counts.Count == 0 ? "(none)"
        : string.Join(", ", counts.Take(12).Select(c => $"{show(c.Key)} ({c.Value:N0})")) + (counts.Count > 12 ? $", … {counts.Count} names" : "");
}
