namespace ImageStash.Tools;

/// <summary>One thing wrong with a store.</summary>
/// <param name="Id">The image it concerns, or null for the store as a whole.</param>
/// <param name="Reason">What is wrong, in one line.</param>
public sealed record VerifyProblem(long? Id, string Reason);
