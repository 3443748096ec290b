using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- shuffle-quality [images] [classes]
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- mlnet-cursor STORE [repeats]
if (args is ["shuffle-quality", .. var rest]) ShuffleQuality.Run(rest);
else if (args is ["mlnet-cursor", .. var store]) MLNetCursor.Run(store);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
