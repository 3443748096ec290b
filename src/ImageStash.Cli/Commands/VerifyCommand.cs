using System.ComponentModel;
using ImageStash.Cli.Internal;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash verify STORE [--deep]</c>: check every record; exit 0 when clean, 1 when damaged.</summary>
internal sealed class VerifyCommand : Command<VerifyCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandOption("--deep")]
        [Description("Also read every image and check its pixels (CRC-32, PNG checksums).")]
        public bool Deep { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.Registry.OpenRead(settings.Store, settings.Format);
        var report = Internal.Progress.Run("verify", store.Count, p => StoreVerifier.Verify(store, settings.Deep, p, cancellationToken));
        foreach (var problem in report.Problems)
            Console.WriteLine(problem.Id is { } id ? $"id {id}: {problem.Reason}" : problem.Reason);
        string scope = report.Deep ? "headers, labels and pixels" : "headers and labels (add --deep to check pixels)";
        Console.WriteLine(report.Clean
            ? $"{store.Format} store '{store.Path}': {report.Checked:N0} images, {scope}: clean."
            : $"{store.Format} store '{store.Path}': {report.Checked:N0} images, {report.Problems.Count:N0} problem(s) listed above.");
        return report.Clean ? ImageStashApp.Ok : ImageStashApp.Failed;
    }
}
