using Spectre.Console;
using Spectre.Console.Rendering;

namespace ImageStash.Cli.Internal;

/// <summary>A progress column showing items per second ("8,130 images/s").</summary>
internal sealed class RateColumn(string unit) : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        task.Speed is { } speed ? new Text($"{speed:N0} {unit}/s", new Style(Color.Blue)) : new Text("");
}
