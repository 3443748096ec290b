using System.Text;

namespace ImageStash.FolderStore;

/// <summary>RFC 4180 quoting for the few CSV files ImageStash writes (labels, results).</summary>
internal static class Csv
{
    public static string Escape(string? field)
    {
        if (string.IsNullOrEmpty(field)) return "";
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0) return field;
        return "\"" + field.Replace("\"", "\"\"") + "\"";
    }

    /// <summary>Splits CSV text into records; a last record without its line end is left out, and <paramref name="completeLength"/> says where the complete ones end.</summary>
    public static List<List<string>> Parse(string text, out int completeLength)
    {
        var records = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        completeLength = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                records.Add(fields);
                fields = [];
                completeLength = i + 1;
            }
            else field.Append(c);
        }
        return records;
    }
}
