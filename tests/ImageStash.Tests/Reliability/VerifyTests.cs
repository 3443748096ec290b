using ImageStash.Tests.Cli;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Reliability;

[Collection("Console")]
public sealed class VerifyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (string Path, ImageBatch Batch) Store(string kind)
    {
        var batch = TestData.Batch(40, new ImageShape(16, 16, 3), seed: 3);
        using var store = StoreKinds.Create(kind, _dir.Path);
        store.Put(batch);
        return (store.Path, batch);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void A_clean_store_verifies_with_exit_0(string kind)
    {
        var (path, batch) = Store(kind);
        using (batch)
        {
            var (exit, output, err) = CliRunner.Run("verify", path, "--deep");
            Assert.True(exit == 0, err + output);
            Assert.EndsWith("40 images, headers, labels and pixels: clean.", output.Trim());
        }
    }

    [Theory]
    [InlineData("lmdb", "data.mdb")]
    [InlineData("hdf5", "")]
    public void A_flipped_pixel_byte_is_listed_by_id_with_exit_1(string kind, string file)
    {
        var (path, batch) = Store(kind);
        using (batch)
        {
            string target = file.Length == 0 ? path : Path.Combine(path, file);
            byte[] bytes = File.ReadAllBytes(target);
            int at = bytes.AsSpan().IndexOf(batch.GetPixels(17)[..64]);
            Assert.True(at > 0);
            bytes[at + 5] ^= 0x10;
            File.WriteAllBytes(target, bytes);
            var (exit, output, _) = CliRunner.Run("verify", path, "--deep");
            Assert.Equal(1, exit);
            Assert.Contains($"id 17: store '{path}': image 17 is damaged (pixel CRC32 is ", output);
            Assert.Contains("1 problem(s) listed above.", output);
            Assert.Equal(0, CliRunner.Run("verify", path).Exit); // without --deep pixels are not read
        }
    }

    [Fact]
    public void Damaged_and_missing_pngs_are_listed()
    {
        var (path, batch) = Store("png");
        batch.Dispose();
        string Png(long id) => Path.Combine(path, "images", (id & 0xFF).ToString("x2"), $"{id}.png");
        File.Delete(Png(3));
        byte[] png = File.ReadAllBytes(Png(8));
        File.WriteAllBytes(Png(8), png[..(png.Length / 2)]);
        png = File.ReadAllBytes(Png(21));
        png[60] ^= 0xFF;
        File.WriteAllBytes(Png(21), png);
        var (exit, output, _) = CliRunner.Run("verify", path, "--deep");
        Assert.Equal(1, exit);
        Assert.Contains("id 3: store '", output);
        Assert.Contains("labels.csv but '", output);
        Assert.Contains("id 8: ", output);
        Assert.Contains("id 21: ", output);
        Assert.Contains("3 problem(s) listed above.", output);
    }
}
