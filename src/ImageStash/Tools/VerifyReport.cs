namespace ImageStash.Tools;

/// <summary>What <see cref="StoreVerifier.Verify"/> found.</summary>
/// <param name="Path">The store.</param>
/// <param name="Format">Its kind.</param>
/// <param name="Checked">Images checked.</param>
/// <param name="Deep">Whether every image's pixels were read and checked.</param>
/// <param name="Problems">Everything wrong, in id order; empty when the store is clean.</param>
public sealed record VerifyReport(string Path, string Format, long Checked, bool Deep, IReadOnlyList<VerifyProblem> Problems)
{
    /// <summary>True when nothing is wrong.</summary>
    public bool Clean => Problems.Count == 0;
}
