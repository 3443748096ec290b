using System.ComponentModel;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary>Options every command takes.</summary>
internal class GlobalSettings : CommandSettings
{
    [CommandOption("--verbose")]
    [Description("Print stack traces with errors.")]
    public bool Verbose { get; init; }
}

/// <summary>Settings of commands that act on one store.</summary>
internal class StoreSettings : GlobalSettings
{
    [CommandArgument(0, "<STORE>")]
    [Description("The store: a folder (PNG), *.lmdb or *.h5/*.hdf5.")]
    public string Store { get; init; } = "";

    [CommandOption("--format <KIND>")]
    [Description("Store kind, overriding detection from the path: png, lmdb, hdf5.")]
    public string? Format { get; init; }
}
