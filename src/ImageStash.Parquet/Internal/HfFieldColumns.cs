using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageStash.Parquet.Internal;

/// <summary>How a field is written as a Parquet column.</summary>
internal enum HfFieldKind
{
    /// <summary>Every value a JSON string: a UTF-8 string column (the <c>datasets</c> Value <c>string</c>).</summary>
    String,

    /// <summary>Every value an integer whose text is its int64's: an int64 column.</summary>
    Int64,

    /// <summary>Every value a number whose text is its double's as System.Text.Json writes it: a double column.</summary>
    Double,

    /// <summary>Every value true or false: a boolean column.</summary>
    Boolean,

    /// <summary>
    /// Anything else (objects, arrays, nulls, numbers whose text a double would change, a mix of kinds): each value's
    /// JSON text in a string column of Parquet's JSON logical type, which our reader parses back.
    /// </summary>
    Json,
}

/// <summary>One field's column: the field's name, the column's (the field's unless the image or label column has it).</summary>
internal sealed record HfFieldColumn(string Field, string Column, HfFieldKind Kind);

/// <summary>
/// The field columns of an export, found from every record's fields before the first file is written (a Parquet
/// schema is fixed when the file is created): one column per field name, in the order the names are first met, of the
/// narrowest kind that gives every value back exactly as it was.
/// </summary>
internal sealed class HfFieldColumns
{
    private readonly Dictionary<string, (HfFieldKind Kind, bool IntsAreDoubles, int Order)> _seen = new(StringComparer.Ordinal);

    /// <summary>Widens the columns so they hold <paramref name="fields"/>.</summary>
    public void Add(RecordFields fields)
    {
        using var doc = JsonDocument.Parse(fields.Utf8);
        foreach (var member in doc.RootElement.EnumerateObject())
        {
            var (kind, intIsDouble) = KindOf(member.Value);
            if (!_seen.TryGetValue(member.Name, out var column))
            {
                _seen[member.Name] = (kind, intIsDouble, _seen.Count);
                continue;
            }
            bool ints = column.IntsAreDoubles && intIsDouble;
            var merged = column.Kind == kind ? kind
                : (column.Kind, kind) is (HfFieldKind.Int64, HfFieldKind.Double) or (HfFieldKind.Double, HfFieldKind.Int64) && ints ? HfFieldKind.Double
                : HfFieldKind.Json;
            _seen[member.Name] = (merged, ints, column.Order);
        }
    }

    /// <summary>
    /// The columns in order. A field named like a column the image or the label takes is written as that name with
    /// '_' added until it is free (<c>label</c> → <c>label_</c>): nothing is dropped, and it reads back under that name.
    /// </summary>
    public IReadOnlyList<HfFieldColumn> Columns(params string[] taken)
    {
        var used = new HashSet<string>(taken, StringComparer.Ordinal);
        var columns = new List<HfFieldColumn>();
        foreach (var (name, (kind, _, _)) in _seen.OrderBy(s => s.Value.Order))
        {
            string column = name;
            while (!used.Add(column)) column += "_";
            columns.Add(new HfFieldColumn(name, column, kind));
        }
        return columns;
    }

    /// <summary>
    /// A value's kind; for an integer, also whether a double column would give its text back (|value| below 2^53, as
    /// a mix of integers and fractions is written as doubles).
    /// </summary>
    private static (HfFieldKind Kind, bool IntIsDouble) KindOf(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String: return (HfFieldKind.String, true);
            case JsonValueKind.True or JsonValueKind.False: return (HfFieldKind.Boolean, true);
            case JsonValueKind.Number:
                string text = value.GetRawText();
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) && l.ToString(CultureInfo.InvariantCulture) == text)
                    return (HfFieldKind.Int64, DoubleText(l) == text);
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && DoubleText(d) == text)
                    return (HfFieldKind.Double, true);
                return (HfFieldKind.Json, true);
            default: return (HfFieldKind.Json, true);
        }
    }

    /// <summary>A double's text as the reader's fields write it.</summary>
    public static string DoubleText(double value) => JsonValue.Create(value).ToJsonString();
}
