namespace ImageStash.Cli.Internal;

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool and can print late).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
