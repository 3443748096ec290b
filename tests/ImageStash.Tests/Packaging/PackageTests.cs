using System.IO.Compression;
using ImageStash.Tools;

namespace ImageStash.Tests.Packaging;

/// <summary>Installs what `dotnet pack` makes the way users do: the tool into a fresh --tool-path, the libraries into a new project.</summary>
[Trait("Tier", "Full")]
public sealed class PackageTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    private static readonly string[] Libraries = ["ImageStash", "ImageStash.Lmdb", "ImageStash.Hdf5", "ImageStash.Shards", "ImageStash.MLNet", "ImageStash.Reporting", "ImageStash.Parquet"];

    [Fact]
    public void Every_package_has_a_readme_licence_description_tags_docs_and_symbols()
    {
        foreach (string id in Libraries.Append("ImageStash.Cli"))
        {
            string nupkg = Path.Combine(feed.Folder, $"{id}.{feed.Version}.nupkg");
            Assert.True(File.Exists(nupkg), $"no {nupkg}");
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"no symbols for {id}");
            using var zip = ZipFile.OpenRead(nupkg);
            string nuspec = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open()).ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("<readme>README.md</readme>", nuspec);
            Assert.Contains("<tags>", nuspec);
            Assert.Matches("<description>.{20,}</description>", nuspec);
            Assert.NotNull(zip.GetEntry("README.md"));
            if (id != "ImageStash.Cli") Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.xml"));
            // The JPEG region decoder's shim, built by the build on linux-x64 (the machines the tests run on).
            if (id == "ImageStash") Assert.NotNull(zip.GetEntry("runtimes/linux-x64/native/libimagestash_jpeg.so"));
        }
    }

    [Fact]
    public void The_tool_installs_from_the_package_folder_and_runs()
    {
        string tools = feed.Scratch("tools"), work = feed.Scratch("tool-work");
        // A private package cache, so the install takes this build's package and not one cached under the same version.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = feed.Scratch("tool-cache") };
        var (exit, output, error) = ChildProcess.Run("dotnet",
            ["tool", "install", "ImageStash.Cli", "--tool-path", tools, "--add-source", feed.Folder, "--version", feed.Version], env, 300_000);
        Assert.True(exit == 0, $"tool install failed ({exit}):\n{output}\n{error}");

        string imagestash = Path.Combine(tools, "imagestash");
        (exit, output, error) = ChildProcess.Run(imagestash, ["--help"]);
        Assert.True(exit == 0, error);
        Assert.Contains("USAGE:", output);
        Assert.Contains("import <SOURCE> <STORE>", output);

        string store = Path.Combine(work, "small.lmdb");
        (exit, output, error) = ChildProcess.Run(imagestash, ["import", "synthetic:20", store]);
        Assert.True(exit == 0, error);
        Assert.Contains("imported 20 images", output);
        (exit, output, _) = ChildProcess.Run(imagestash, ["verify", store, "--deep"]);
        Assert.Equal(0, exit);
        Assert.Contains("20 images, headers, labels and pixels: clean.", output);
    }

    [Fact]
    public void A_new_console_project_references_the_library_packages_and_writes_and_reads_stores()
    {
        string project = feed.Scratch("consumer");
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed.Folder}" />
                <add key="machine-cache" value="{cache}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="ImageStash*" /></packageSource>
                <packageSource key="machine-cache"><package pattern="*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <config><add key="globalPackagesFolder" value="{Path.Combine(project, "packages")}" /></config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                {string.Concat(Libraries.Select(id => $"<PackageReference Include=\"{id}\" Version=\"{feed.Version}\" />"))}
              </ItemGroup>
            </Project>
            """);
        // The tests' zip store, compiled against the packages alone (no access to internals): the public API is enough to write a store.
        File.Copy(Path.Combine(feed.Root, "tests", "ImageStash.Stranger", "ZipStore.cs"), Path.Combine(project, "ZipStore.cs"));
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using ImageStash;
            using ImageStash.Sources;
            using ImageStash.Tools;

            var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider, ImageStash.Stranger.ZipStore.Provider);
            Directory.CreateDirectory("out");
            foreach (string path in new[] { "out/s.lmdb", "out/s.h5", "out/png", "out/s.zip" })
            {
                using (var source = ImageSources.Open("synthetic:50:16x16"))
                using (var store = stores.Open(path))
                    StoreImporter.Import(source, store);
                using var reader = stores.OpenRead(path);
                long[] ids = [0, 49, 7];
                var pixels = new byte[ids.Length * 16 * 16 * 3];
                var labels = new int[ids.Length];
                reader.ReadMany(ids, pixels, labels);
                Console.WriteLine($"{reader.Format} {reader.Count} {pixels.Sum(b => (long)b)} {string.Join(',', labels)}");
            }
            using (var lmdb = stores.OpenRead("out/s.lmdb"))
                ImageStash.Shards.ShardWriter.Write(lmdb, "out/shards", new ImageStash.Shards.ShardWriterOptions { ShardSize = 64 << 10 });
            using (var set = new StoreRegistry(ImageStash.Shards.ShardSetStore.Provider).OpenRead("out/shards"))
            {
                long[] ids = [0, 49, 7];
                var pixels = new byte[ids.Length * 16 * 16 * 3];
                var labels = new int[ids.Length];
                set.ReadMany(ids, pixels, labels);
                Console.WriteLine($"{set.Format} {set.Count} {pixels.Sum(b => (long)b)} {string.Join(',', labels)}");
            }
            Console.WriteLine(ImageStash.Reporting.BenchTable.Time(0.0042));
            """);
        var (exit, output, error) = ChildProcess.Run("dotnet", ["run", "--project", project, "-c", "Release"], timeoutMs: 300_000, workingDirectory: project);
        Assert.True(exit == 0, $"the consumer failed ({exit}):\n{output}\n{error}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(6, lines.Length);
        // The same synthetic images in all four stores and the shard set: the same pixel sums and labels.
        Assert.Equal(lines[0][5..], lines[1][5..]);
        Assert.Equal(lines[0][5..], lines[2][4..]);
        Assert.Equal(lines[0][5..], lines[3][4..]);
        Assert.StartsWith("lmdb 50 ", lines[0]);
        Assert.StartsWith("zip 50 ", lines[3]);
        Assert.StartsWith("shards 50 ", lines[4]);
        Assert.Equal(lines[0][5..], lines[4][7..]);
        Assert.Equal("4.20 ms", lines[5]);
    }
}
