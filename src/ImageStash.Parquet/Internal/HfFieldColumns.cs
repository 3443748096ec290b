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

    /// <summary>Every value a number written as a double column gives back (<see cref="HfFieldColumns.DoubleText"/>): a double column.</summary>
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
    private readonly Dictionary<string, (HfFieldKind Kind, int Order)> _seen = new(StringComparer.Ordinal);

    /// <summary>Widens the columns so they hold <paramref name="fields"/>.</summary>
    public void Add(RecordFields fields)
    {
        using var doc = JsonDocument.Parse(fields.Utf8);
        foreach (var member in doc.RootElement.EnumerateObject())
        {
            var kind = KindOf(member.Value);
            if (!_seen.TryGetValue(member.Name, out var column)) _seen[member.Name] = (kind, _seen.Count);
            else if (column.Kind != kind) _seen[member.Name] = (HfFieldKind.Json, column.Order); // a mix: 2 and 2.5 stay as written
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
        foreach (var (name, (kind, _)) in _seen.OrderBy(s => s.Value.Order))
        {
            string column = name;
            while (!used.Add(column)) column += "_";
            columns.Add(new HfFieldColumn(name, column, kind));
        }
        return columns;
    }

    /// <summary>A value's kind: the column that gives its JSON text back exactly.</summary>
    private static HfFieldKind KindOf(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String: return HfFieldKind.String;
            case JsonValueKind.True or JsonValueKind.False: return HfFieldKind.Boolean;
            case JsonValueKind.Number:
                string text = value.GetRawText();
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) && l.ToString(CultureInfo.InvariantCulture) == text)
                    return HfFieldKind.Int64;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && DoubleText(d) == text)
                    return HfFieldKind.Double;
                return HfFieldKind.Json;
            default: return HfFieldKind.Json;
        }
    }

    /// <summary>
    /// A floating-point column's value as a field: its shortest round-trip text, with ".0" when that looks like an
    /// integer (13.0, not 13), so a float column whose values are whole comes back a float column, not int64.
    /// </summary>
    public static string DoubleText(double value)
    {
        string text = JsonValue.Create(value).ToJsonString();
        return text.AsSpan().IndexOfAny('.', 'E', 'e') < 0 ? text + ".0" : text;
    }

    /// <summary><see cref="DoubleText"/> as a JSON node.</summary>
    public static JsonNode DoubleNode(double value) => JsonNode.Parse(DoubleText(value))!;
}
