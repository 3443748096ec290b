using ImageStash.Reporting.Internal;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 6: the plot font is loaded from the assembly's resource in memory, not through a fixed name in the
/// shared temp folder (where another user could plant a font or a symlink).
/// </summary>
public sealed class PlotFontTests
{
    [Fact]
    public void The_plot_font_comes_from_memory_and_draws_text()
    {
        Assert.Equal("DejaVu Sans", PlotFont.Ensure());
        // Not disposed: ScottPlot caches the typeface, and disposing it here blanked the text of plots drawn after
        // (StoreBenchmarkTests' SVGs lost their labels when the two ran together).
        var typeface = ScottPlot.Fonts.GetTypeface(PlotFont.Name, bold: false, italic: false);
        Assert.Equal("DejaVu Sans", typeface.FamilyName);
        Assert.True(typeface.GlyphCount > 1000, $"{typeface.GlyphCount} glyphs: not the bundled DejaVu Sans");
        using var font = new SkiaSharp.SKFont(typeface, 12);
        Assert.True(font.MeasureText("images/s") > 20);
    }

    [Fact]
    public void No_source_file_puts_a_fixed_name_in_the_shared_temp_folder()
    {
        // Every GetTempPath() in src must go with a name no other user can predict (a GUID).
        string src = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src"));
        var offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains("GetTempPath()", StringComparison.Ordinal) && !l.Text.Contains("Guid.NewGuid()", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(src, l.File)}:{l.Line}")
            .ToList();
        Assert.Empty(offenders);
    }
}
