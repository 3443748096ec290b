using System.ComponentModel;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary>Options every command takes.</summary>
internal class GlobalSettings : CommandSettings
{
    [CommandOption("--verbose")]
    [Description("Print stack traces with errors.")]
    public bool Verbose { get; init; }

    [CommandOption("--endpoint <URL>")]
    [Description("The S3-compatible server for s3:// paths (default AWS_ENDPOINT_URL; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE).")]
    public string? Endpoint { get; init; }
}

/// <summary>Settings of commands that act on one store.</summary>
internal class StoreSettings : GlobalSettings
{
    [CommandArgument(0, "<STORE>")]
    [Description("The store: a folder (PNG), *.lmdb, *.h5/*.hdf5, a shard set (a folder with index.json, s3://BUCKET/PREFIX), or a Hugging Face Parquet dataset, read in place (*.parquet, 'data/train-*.parquet' quoted, a folder of them).")]
    public string Store { get; init; } = "";

    [CommandOption("--format <KIND>")]
    [Description("Store kind, overriding detection from the path: png, lmdb, hdf5, shards, hf.")]
    public string? Format { get; init; }
}
