namespace ImageStash.Tools;

/// <summary>What an import wrote.</summary>
/// <param name="Imported">Images written.</param>
/// <param name="FirstId">The first id given, or -1 when nothing was written.</param>
/// <param name="LastId">The last id given, or -1 when nothing was written.</param>
/// <param name="Skipped">Inputs the source skipped, one line each.</param>
public sealed record ImportResult(long Imported, long FirstId, long LastId, IReadOnlyList<string> Skipped);
