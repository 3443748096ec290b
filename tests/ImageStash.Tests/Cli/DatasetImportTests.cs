namespace ImageStash.Tests.Cli;

/// <summary><c>imagestash import</c> of datasets as people download them: WebDataset tar sets written by others.</summary>
[Collection("Console")]
public sealed class DatasetImportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_webdataset_pattern_imports_into_lmdb_with_bytes_kept()
    {
        string store = _dir.File("x.lmdb");
        var (exit, output, err) = CliRunner.Run("import", TestData.Path("webdataset/wds-{000000..000001}.tar"), store);
        Assert.True(exit == 0, err);
        Assert.Contains("imported 6 images from WebDataset", output);
        var get = CliRunner.Run("get", store, "0");
        Assert.Equal(0, get.Exit);
        Assert.Contains("train/000000.jpg", get.Out);
    }

    [Fact]
    public void A_sample_without_an_image_fails_in_one_line_and_keeps_what_the_store_held()
    {
        string store = _dir.File("x.lmdb");
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("webdataset/wds-000000.tar"), store).Exit);
        string bad = TestData.Path("webdataset/bad-no-image.tar");
        var (exit, _, err) = CliRunner.Run("import", bad, store, "--batch", "1");
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{bad}' key 'train/000001' has no image (.jpg, .jpeg, .png, .webp) among its members (.cls, .txt, .json); fix or remove it, or pass --on-error skip.", err.Trim());
        Assert.Contains("images:   4", CliRunner.Run("info", store).Out); // 3 before, and train/000000 committed in its own batch
    }
}
