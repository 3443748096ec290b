using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
