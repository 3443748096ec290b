using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- shuffle-quality [images] [classes]
if (args is ["shuffle-quality", .. var rest]) ShuffleQuality.Run(rest);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
