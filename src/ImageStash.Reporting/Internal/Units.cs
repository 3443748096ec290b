using System.Globalization;

namespace ImageStash.Reporting.Internal;

/// <summary>Numbers for people: times and sizes in the unit that gives three significant figures.</summary>
internal static class Units
{
    private static readonly (double Scale, string Name)[] TimeUnits = [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1, "s")];
    private static readonly (double Scale, string Name)[] SizeUnits = [(1, "B"), (1e3, "kB"), (1e6, "MB"), (1e9, "GB"), (1e12, "TB")];

    /// <summary>812 µs, 4.20 ms, 1.94 s, 61.2 s; empty for a missing or infinite value.</summary>
    public static string Time(double? seconds) => seconds is { } s && double.IsFinite(s) ? Scaled(s, TimeUnits) : "";

    /// <summary>512 B, 3.07 kB, 41.6 MB (decimal units); empty for zero or missing.</summary>
    public static string Size(long? bytes) => bytes is > 0 and var b ? Scaled(b, SizeUnits) : "";

    /// <summary>8,130 (a count or rate, rounded); empty for a missing or infinite value.</summary>
    public static string Count(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("N0", CultureInfo.InvariantCulture) : "";

    /// <summary>0.94×; empty when missing.</summary>
    public static string Multiple(double? value) => value is { } m && double.IsFinite(m) ? m.ToString(m >= 100 ? "F0" : m >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture) + "×" : "";

    private static string Scaled(double value, (double Scale, string Name)[] units)
    {
        if (value == 0) return units == TimeUnits ? "0 s" : "0 B";
        int u = units.Length - 1;
        while (u > 0 && Math.Abs(value) < units[u].Scale) u--;
        double rounded = Math.Round(value / units[u].Scale, Decimals(value / units[u].Scale));
        // Rounding can carry into the next unit (999.7 µs is 1.00 ms).
        if (Math.Abs(rounded) >= 1000 && u < units.Length - 1)
        {
            u++;
            rounded = Math.Round(value / units[u].Scale, Decimals(value / units[u].Scale));
        }
        return $"{rounded.ToString($"F{Decimals(rounded)}", CultureInfo.InvariantCulture)} {units[u].Name}";
    }

    private static int Decimals(double scaled) => Math.Abs(scaled) switch { >= 100 => 0, >= 10 => 1, _ => 2 };
}
