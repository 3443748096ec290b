namespace ImageStash.Bench;

/// <summary>How far a bench run is.</summary>
/// <param name="Done">Steps finished.</param>
/// <param name="Total">Steps in the run.</param>
/// <param name="Step">What is being measured now, e.g. "lmdb store_many 10000".</param>
public readonly record struct BenchProgress(int Done, int Total, string Step);
