using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Tools;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash export STORE DIR</c>: the whole store as DIR/&lt;class&gt;/&lt;id&gt;.png.</summary>
internal sealed class ExportCommand(AppConsole console) : Command<ExportCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandArgument(1, "<DIR>")]
        [Description("The folder to write (one subfolder per class).")]
        public string Directory { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        long n = console.WithProgress("export", store.Count, "images", p => StoreExporter.ExportFolder(store, settings.Directory, p, cancellationToken));
        console.WriteLine($"exported {n:N0} images from '{store.Path}' to '{settings.Directory}'.");
        return ImageStashApp.Ok;
    }
}
