using System.Reflection;

namespace ImageStash.Reporting.Internal;

/// <summary>
/// Registers the bundled DejaVu Sans with ScottPlot. SkiaSharp's NoDependencies build finds no system fonts,
/// and ScottPlot then draws every label blank without an error; a font shipped inside this assembly avoids that
/// on any machine.
/// </summary>
internal static class PlotFont
{
    public const string Name = "DejaVu Sans";
    private static readonly Lazy<string> Registered = new(Register);

    public static string Ensure() => Registered.Value;

    private static string Register()
    {
        string dir = Path.Combine(Path.GetTempPath(), "imagestash-fonts");
        string file = Path.Combine(dir, "DejaVuSans.ttf");
        using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("ImageStash.Reporting.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The DejaVu Sans font resource is missing from ImageStash.Reporting.");
        if (!File.Exists(file) || new FileInfo(file).Length != resource.Length)
        {
            Directory.CreateDirectory(dir);
            string temp = file + $".{Environment.ProcessId}.tmp";
            using (var output = File.Create(temp)) resource.CopyTo(output);
            File.Move(temp, file, overwrite: true);
        }
        ScottPlot.Fonts.AddFontFile(Name, file, bold: false, italic: false);
        ScottPlot.Fonts.AddFontFile(Name, file, bold: true, italic: false);
        ScottPlot.Fonts.Default = Name;
        return Name;
    }
}
