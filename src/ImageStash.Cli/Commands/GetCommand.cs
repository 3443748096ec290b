using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Tools;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash get STORE ID [-o FILE]</c>: one image out as a file — its own bytes if it was stored encoded, else a lossless PNG.</summary>
internal sealed class GetCommand(AppConsole console) : Command<GetCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandArgument(1, "<ID>")]
        [Description("The image's id.")]
        public long Id { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("The file to write (default: <ID> with the image's own extension). An encoded image is written as the very bytes imported; a .png name for one of another kind is a lossless PNG of it.")]
        public string? Output { get; init; }

        public override ValidationResult Validate() =>
            Id < 0 ? ValidationResult.Error($"ids are non-negative; got {Id}.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        if (!store.TryGetHeader(settings.Id, out var header)) throw ImageStashException.MissingId(store.Path, settings.Id);
        string own = StoreExporter.FileExtension(header);
        string output = settings.Output ?? $"{settings.Id}{own}";
        string wanted = Path.GetExtension(output).ToLowerInvariant() is ".jpeg" ? ".jpg" : Path.GetExtension(output).ToLowerInvariant();
        byte[] file = wanted == own ? StoreExporter.ReadFile(store, settings.Id, out header)
            : wanted == ".png" ? StoreExporter.EncodePng(store, settings.Id, out header)
            : throw new ImageStashException($"image {settings.Id} of '{store.Path}' is {(header.IsRaw ? "raw pixels" : $"a {header.Encoding} file")}: it can be written as {own}{(own == ".png" ? "" : " (its own bytes) or .png")}, not as '{output}'.", ImageStashError.DoesNotFit);
        File.WriteAllBytes(output, file);
        string className = header.Label >= 0 && header.Label < store.ClassNames.Count ? $" ({Printable.Name(store.ClassNames[header.Label])})" : "";
        string kind = header.IsRaw ? "raw" : header.Encoding.ToString().ToUpperInvariant();
        console.WriteLine($"wrote '{output}': id {header.Id}, {header.Shape} {kind}, {file.Length:N0} bytes, label {header.Label}{className}{(header.Name is null ? "" : $", from {Printable.Name(header.Name)}")}");
        if (store.TryGetHeader(settings.Id, out var full) && full.Fields is { } fields) console.WriteLine($"fields: {fields.Json}");
        return ImageStashApp.Ok;
    }
}
