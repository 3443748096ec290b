using System.Text.RegularExpressions;

namespace ImageStash.Tests.Packaging;

/// <summary>
/// The packages `dotnet pack` makes from the build under test, in a local feed folder: what a user installs.
/// Packed once per test run (from the binaries already built, no rebuild).
/// </summary>
public sealed partial class PackedFeed : IDisposable
{
    private readonly TempDir _dir = new();

    public PackedFeed()
    {
        Root = RepositoryRoot();
        Version = VersionLine().Match(File.ReadAllText(Path.Combine(Root, "Directory.Build.props"))).Groups[1].Value;
        Folder = Directory.CreateDirectory(_dir.File("feed")).FullName;
        // The configuration the tests were built in (bin/Release/net10.0 → Release): pack that build.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
        var (exit, output, error) = ChildProcess.Run("dotnet",
            ["pack", Path.Combine(Root, "ImageStash.slnx"), "-c", configuration, "--no-build", "-o", Folder], timeoutMs: 300_000);
        Assert.True(exit == 0, $"dotnet pack failed ({exit}):\n{output}\n{error}");
    }

    public string Root { get; }

    public string Version { get; }

    public string Folder { get; }

    /// <summary>A scratch folder outside the repository (its Directory.Build.props must not apply).</summary>
    public string Scratch(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    public void Dispose() => _dir.Dispose();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImageStash.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no ImageStash.slnx above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionLine();
}
