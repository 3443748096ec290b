using ImageStash.Sources;

namespace ImageStash.Tests.Sources;

public sealed class ImageFileBatcherTests
{
    private static IEnumerable<ImageFile> Files(IEnumerable<string> paths)
    {
        // One buffer for every file: the batcher must copy a file's bytes before asking for the next.
        byte[] buffer = new byte[1 << 20];
        foreach (string path in paths)
        {
            byte[] data = File.ReadAllBytes(path);
            data.CopyTo(buffer, 0);
            yield return new ImageFile(buffer.AsMemory(0, data.Length), 7, Path.GetFileName(path), $"'{path}'");
            Array.Clear(buffer);
        }
    }

    [Fact]
    public void Batches_keep_every_file_bit_exact_across_chunks_and_batches()
    {
        var paths = Directory.GetFiles(TestData.ImageFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var batcher = new ImageFileBatcher();
        var got = new List<(ImageHeader Header, byte[] Bytes)>();
        foreach (var batch in batcher.Batch(Files(paths), 3))
        {
            Assert.InRange(batch.Count, 1, 3);
            for (int i = 0; i < batch.Count; i++) got.Add((batch[i], batch.GetPayload(i).ToArray()));
        }
        Assert.Equal(paths.Count, got.Count);
        for (int i = 0; i < paths.Count; i++)
        {
            Assert.Equal(File.ReadAllBytes(paths[i]), got[i].Bytes);
            Assert.Equal((long)i, got[i].Header.Id);
            Assert.Equal(7, got[i].Header.Label);
            Assert.Equal(Path.GetFileName(paths[i]), got[i].Header.Name);
        }
    }

    [Fact]
    public void A_bad_file_is_skipped_when_asked_and_named()
    {
        string good = Directory.GetFiles(Path.Combine(TestData.ImageFolder, "cat"))[0];
        string bad = TestData.Path("photo-oddities/truncated.jpg");
        var batcher = new ImageFileBatcher(new SourceOptions { OnError = SourceErrorMode.Skip });
        int count = batcher.Batch(Files([good, bad, good]), 16).Sum(b => b.Count);
        Assert.Equal(2, count);
        Assert.StartsWith($"'{bad}': ", Assert.Single(batcher.Skipped));
    }
}
