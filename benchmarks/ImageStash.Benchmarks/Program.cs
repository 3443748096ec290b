using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- shuffle-quality [images] [classes]
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- mlnet-cursor STORE [repeats]
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- crop-pixels STORE [size] [random|center]
// dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- crop-cost STORE
if (args is ["shuffle-quality", .. var rest]) ShuffleQuality.Run(rest);
else if (args is ["mlnet-cursor", .. var store]) MLNetCursor.Run(store);
else if (args is ["crop-cost", .. var costArgs]) CropCost.Run(costArgs);
else if (args is ["crop-pixels", .. var cropArgs]) CropPixels.Run(cropArgs);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
