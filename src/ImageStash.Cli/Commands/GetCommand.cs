using System.ComponentModel;
using ImageStash.Cli.Internal;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash get STORE ID -o FILE.png</c>: one image out as a lossless PNG.</summary>
internal sealed class GetCommand(AppConsole console) : Command<GetCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandArgument(1, "<ID>")]
        [Description("The image's id.")]
        public long Id { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("The PNG file to write (default: <ID>.png).")]
        public string? Output { get; init; }

        public override ValidationResult Validate() =>
            Id < 0 ? ValidationResult.Error($"ids are non-negative; got {Id}.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.Registry.OpenRead(settings.Store, settings.Format);
        byte[] png = StoreExporter.EncodePng(store, settings.Id, out var header);
        string output = settings.Output ?? $"{settings.Id}.png";
        File.WriteAllBytes(output, png);
        string className = header.Label >= 0 && header.Label < store.ClassNames.Count ? $" ({store.ClassNames[header.Label]})" : "";
        console.WriteLine($"wrote '{output}': id {header.Id}, {header.Shape}, label {header.Label}{className}{(header.Name is null ? "" : $", from {header.Name}")}");
        return ImageStashApp.Ok;
    }
}
