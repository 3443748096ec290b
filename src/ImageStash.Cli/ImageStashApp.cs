using ImageStash.Cli.Commands;
using ImageStash.Cli.Internal;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli;

/// <summary>Wires the commands and maps failures to exit codes: 0 ok, 1 runtime failure, 2 usage error.</summary>
internal static class ImageStashApp
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    public static int Run(string[] args) => Run(args, AppConsole.ForProcess());

    /// <summary>Runs the tool with its output going to <paramref name="console"/> (tests pass their own).</summary>
    public static int Run(string[] args, AppConsole console)
    {
        bool verbose = args.Contains("--verbose");
        Sources.ImageSources.Register(Parquet.HfParquetSources.Provider);
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("imagestash");
            config.SetApplicationVersion(typeof(ImageStashApp).Assembly.GetName().Version?.ToString(3) ?? "0");
            config.Settings.Console = console.Out;
            config.Settings.Registrar.RegisterInstance(console);
            config.Settings.StrictParsing = true;
            config.SetExceptionHandler((e, _) => ErrorReport.Print(e, verbose, console.Error));
            // Descriptions are Spectre markup: square brackets are written doubled ("[[:WxH]]").
            config.AddCommand<ImportCommand>("import")
                .WithDescription("Import images from a CIFAR-10 archive/folder, an image folder, Hugging Face Parquet, WebDataset tars or synthetic:COUNT[[:WxH]] into a store.")
                .WithExample("import", "cifar-10-binary.tar.gz", "cifar.lmdb")
                .WithExample("import", "photos/", "photos.h5", "--resize", "64x64");
            config.AddCommand<InfoCommand>("info").WithDescription("Show a store's kind, count, shapes, labels and disk use.")
                .WithExample("info", "cifar.lmdb");
            config.AddCommand<GetCommand>("get").WithDescription("Write one image of a store to a file: a photo as its own bytes, raw pixels as a PNG")
                .WithExample("get", "cifar.lmdb", "42", "-o", "42.png");
            config.AddCommand<ExportCommand>("export").WithDescription("Write a whole store as an image folder (DIR/<class>/<id>.png).")
                .WithExample("export", "cifar.h5", "out/");
            config.AddCommand<VerifyCommand>("verify").WithDescription("Check every record of a store; list damaged ids; exit 1 when damaged.")
                .WithExample("verify", "cifar.lmdb", "--deep");
            config.AddCommand<ConvertCommand>("convert").WithDescription("Copy a store into a new store of any kind and check the copy is exact.")
                .WithExample("convert", "cifar.h5", "cifar.lmdb");
            config.AddCommand<ShardCommand>("shard").WithDescription("Write a store as WebDataset-style tar shards with an index, in a folder or under s3://BUCKET/PREFIX.")
                .WithExample("shard", "photos.lmdb", "s3://datasets/photos", "--endpoint", "http://127.0.0.1:7480")
                .WithExample("shard", "cifar.h5", "cifar-shards/", "--shard-size", "16MiB");
            config.AddCommand<OrderCommand>("order").WithDescription("Print the ids the training loader hands one rank in one epoch, one per line (a shard set: the epoch plan Python's ShardDataset follows too).")
                .WithExample("order", "photos-shards/", "--seed", "1", "--epoch", "3", "--rank", "0", "--world-size", "8");
            config.AddCommand<LoaderBenchCommand>("loader-bench").WithDescription("Measure how fast the training loader feeds batches from a store.")
                .WithExample("loader-bench", "cifar.lmdb", "--shuffle", "--batch", "256");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Measure storing and reading 1 … 100,000 images in every store, against the machine's limit; write tables, CSV/JSON, plots and a report.")
                .WithExample("bench", "--quick")
                .WithExample("bench", "--source", "cifar-10-binary.tar.gz", "--out", "results");
        });
        try { return app.Run(args); }
        catch (Exception e) { return ErrorReport.Print(e, verbose, console.Error); } // a failure in Spectre's own set-up
    }
}
