using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace ImageStash.Reporting.Internal;

/// <summary>
/// Registers the bundled DejaVu Sans with ScottPlot. SkiaSharp's NoDependencies build finds no system fonts,
/// and ScottPlot then draws every label blank without an error; a font shipped inside this assembly avoids that
/// on any machine. The font is read from the assembly's resource into memory: no file is written (a fixed name in
/// the shared temp folder let another user plant a font, or a symlink that made us overwrite their target).
/// </summary>
internal static class PlotFont
{
    public const string Name = "DejaVu Sans";
    private static readonly Lazy<string> Registered = new(Register);

    public static string Ensure() => Registered.Value;

    private static string Register()
    {
        using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("ImageStash.Reporting.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The DejaVu Sans font resource is missing from ImageStash.Reporting.");
        var data = SKData.Create(resource);
        Fonts.FontResolvers.Add(new ResourceFont(data));
        Fonts.Default = Name;
        return Name;
    }

    /// <summary>DejaVu Sans, regular, from the bytes in memory, for every weight and slant asked for (bold is synthesized by ScottPlot's text paint as before).</summary>
    private sealed class ResourceFont(SKData data) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            fontName == Name ? SKTypeface.FromData(data) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? SKTypeface.FromData(data) : null;
    }
}
