namespace ImageStash.Tests.Cli;

[Collection("Console")]
public sealed class ImportInfoGetExportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Cifar_archive_to_png_store_and_back_out_is_byte_exact()
    {
        string store = _dir.File("cifar");
        var (exit, output, err) = CliRunner.Run("import", TestData.CifarTarGz, store, "--split", "all");
        Assert.True(exit == 0, err);
        Assert.Contains("imported 1,200 images", output);

        (exit, output, _) = CliRunner.Run("info", store);
        Assert.Equal(0, exit);
        Assert.Contains("kind:     png", output);
        Assert.Contains("images:   1,200", output);
        Assert.Contains("32×32×3 ×1,200", output);
        Assert.Contains("classes:  astronaut, cat, coffee, tissue, motorcycle, galaxy, retina, rocket, camera, gravel", output);

        var records = TestData.CifarRecords();
        string png = _dir.File("one.png");
        (exit, output, _) = CliRunner.Run("get", store, "1042", "-o", png);
        Assert.Equal(0, exit);
        Assert.Contains($"label {records[1042].Label}", output);
        Assert.Equal(records[1042].Pixels, TestImages.Decode(File.ReadAllBytes(png)).Pixels);

        string export = _dir.File("exported");
        (exit, _, _) = CliRunner.Run("export", store, export);
        Assert.Equal(0, exit);
        string[] classes = ["astronaut", "cat", "coffee", "tissue", "motorcycle", "galaxy", "retina", "rocket", "camera", "gravel"];
        int checkedCount = 0;
        foreach (string file in Directory.GetFiles(export, "*.png", SearchOption.AllDirectories))
        {
            int id = int.Parse(Path.GetFileNameWithoutExtension(file));
            Assert.Equal(classes[records[id].Label], Path.GetFileName(Path.GetDirectoryName(file)));
            Assert.True(records[id].Pixels.AsSpan().SequenceEqual(TestImages.Decode(File.ReadAllBytes(file)).Pixels), $"exported image {id} differs from its CIFAR record");
            checkedCount++;
        }
        Assert.Equal(1200, checkedCount);
    }

    [Fact]
    public void Importing_twice_appends_with_new_ids()
    {
        string store = _dir.File("s");
        Assert.Equal(0, CliRunner.Run("import", "synthetic:30", store).Exit);
        var (exit, output, _) = CliRunner.Run("import", "synthetic:20", store, "--seed", "7");
        Assert.Equal(0, exit);
        Assert.Contains("(ids 30–49); it now holds 50 (was 30)", output);
    }

    [Fact]
    public void An_image_folder_imports_with_resize()
    {
        string store = _dir.File("folder");
        var (exit, output, err) = CliRunner.Run("import", TestData.ImageFolder, store, "--resize", "32x24");
        Assert.True(exit == 0, err);
        Assert.Contains("imported 40 images", output);
        Assert.Contains("24×32×3 ×40", CliRunner.Run("info", store).Out);
    }
}
