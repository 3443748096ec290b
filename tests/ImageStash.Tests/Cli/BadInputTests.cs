namespace ImageStash.Tests.Cli;

/// <summary>Each bad input gets one line on stderr naming the file or record, a non-zero exit, and no data loss.</summary>
[Collection("Console")]
public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A store holding 25 good images, to check that failures never lose them.</summary>
    private string StoreWithImages()
    {
        string store = _dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "synthetic:25", store).Exit);
        return store;
    }

    private static void AssertStillHolds(string store, int count) =>
        Assert.Contains($"images:   {count}", CliRunner.Run("info", store).Out);

    private static string OneLine(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("imagestash: error: ", lines[0]);
        return lines[0];
    }

    [Fact]
    public void A_truncated_cifar_file_names_file_record_and_offset_and_keeps_the_store()
    {
        string store = StoreWithImages();
        string bin = _dir.File("data_batch_1.bin");
        byte[] full = new byte[3073 * 3];
        File.WriteAllBytes(bin, full[..(3073 * 2 + 10)]);
        var (exit, _, err) = CliRunner.Run("import", bin, store, "--batch", "1");
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{bin}' is truncated: record 2 at offset 6146 has 10 of 3073 bytes; the file is damaged or not CIFAR-10 binary.", OneLine(err));
        // The two whole records before the damage were committed in their own batches; the 25 before them stay.
        AssertStillHolds(store, 27);
    }

    [Fact]
    public void A_corrupt_jpeg_in_a_folder_fails_with_its_name_or_is_skipped_on_request()
    {
        string folder = Directory.CreateDirectory(_dir.File("photos/cats")).FullName;
        byte[] jpeg = File.ReadAllBytes(Directory.GetFiles(TestData.ImageFolder, "*.jpg", SearchOption.AllDirectories)[0]);
        File.WriteAllBytes(Path.Combine(folder, "a.jpg"), jpeg);
        string source = _dir.File("photos");
        string store = _dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", source, store, "--resize", "32x32").Exit);
        File.WriteAllBytes(Path.Combine(folder, "b-broken.jpg"), jpeg[..200]);

        var (exit, _, err) = CliRunner.Run("import", source, store, "--resize", "32x32");
        Assert.Equal(1, exit);
        string line = OneLine(err);
        Assert.Contains("b-broken.jpg", line);
        Assert.EndsWith("fix or remove the file, or pass --on-error skip.", line);
        AssertStillHolds(store, 1);

        string other = _dir.File("other");
        (exit, var output, err) = CliRunner.Run("import", source, other, "--resize", "32x32", "--on-error", "skip");
        Assert.Equal(0, exit);
        Assert.Contains("imported 1 images", output);
        Assert.Contains("skipped 1 unreadable input(s)", output);
        Assert.Contains("imagestash: skipped", err);
        Assert.Contains("b-broken.jpg", err);
    }

    [Fact]
    public void A_png_claiming_absurd_dimensions_is_refused()
    {
        string folder = Directory.CreateDirectory(_dir.File("bombs/x")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "bomb.png"), ImageStash.Tests.Codecs.PngTests.PngHeaderClaiming(100_000, 100_000));
        var (exit, _, err) = CliRunner.Run("import", _dir.File("bombs"), _dir.File("s"));
        Assert.Equal(1, exit);
        string line = OneLine(err);
        Assert.Contains("bomb.png", line);
        Assert.Contains("100000×100000", line);
    }

    [Fact]
    public void A_missing_source_path_says_so()
    {
        var (exit, _, err) = CliRunner.Run("import", _dir.File("nope.tar.gz"), _dir.File("s"));
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{_dir.File("nope.tar.gz")}': no such file or folder.", OneLine(err));
    }

    [Fact]
    public void A_missing_store_says_how_to_create_it()
    {
        var (exit, _, err) = CliRunner.Run("info", _dir.File("none"));
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: store '{_dir.File("none")}' does not exist; create it with 'imagestash import SOURCE {_dir.File("none")}'.", OneLine(err));
    }

    [Fact]
    public void A_missing_id_exits_1()
    {
        string store = StoreWithImages();
        var (exit, _, err) = CliRunner.Run("get", store, "999", "-o", _dir.File("x.png"));
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: store '{store}' has no image with id 999; list ids with 'imagestash info {store}'.", OneLine(err));
    }

    [Fact]
    public void A_store_path_that_is_a_file_of_another_kind_is_refused()
    {
        string file = _dir.File("notes");
        File.WriteAllText(file, "not a store");
        var (exit, _, err) = CliRunner.Run("import", "synthetic:3", file);
        Assert.Equal(1, exit);
        Assert.Contains($"'{file}' is not a PNG folder store", OneLine(err));
        Assert.Equal("not a store", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("import")]
    [InlineData("import", "synthetic:3", "s", "--batch", "0")]
    [InlineData("import", "synthetic:3", "s", "--resize", "big")]
    [InlineData("info", "s", "--no-such-option")]
    [InlineData("frobnicate")]
    public void Usage_errors_exit_2_with_one_line(params string[] args)
    {
        var (exit, _, err) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        OneLine(err);
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var (exit, _, err) = CliRunner.Run("info", _dir.File("none"), "--verbose");
        Assert.Equal(1, exit);
        Assert.Contains("ImageStashException", err);
        Assert.Contains(" at ", err);
    }

    [Fact]
    public void Photos_appended_to_an_hdf5_store_in_the_fixed_layout_suggest_resize_and_keep_what_was_stored()
    {
        string store = _dir.File("cifar.h5");
        Assert.Equal(0, CliRunner.Run("import", TestData.ImageFolder, store, "--resize", "32x32", "--limit", "25").Exit);
        var (exit, _, err) = CliRunner.Run("import", TestData.ImageFolder, store, "--batch", "1");
        Assert.Equal(1, exit);
        string line = OneLine(err);
        Assert.Matches(@"^imagestash: error: store '.*cifar\.h5' holds 32×32×3 raw images in the article's fixed layout; image 25 is a \d+×\d+×3 (JPEG|PNG) — import with --resize 32x32 --encode raw, or into a new store \(a new HDF5 store takes any sizes and encodings\)\.$", line);
        AssertStillHolds(store, 25);
    }

    [Fact]
    public void A_cifar_label_above_9_fails_in_strict_mode_and_keeps_the_store()
    {
        string store = StoreWithImages();
        string bin = _dir.File("data_batch_1.bin");
        var records = new byte[3073 * 4];
        records[3073 * 2] = 12;
        File.WriteAllBytes(bin, records);
        var (exit, _, err) = CliRunner.Run("import", bin, store, "--batch", "2");
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{bin}' record 2 (offset 6146): label 12 is not a CIFAR-10 class (0–9); is this CIFAR-100? Pass --lenient-labels to keep it.", OneLine(err));
        AssertStillHolds(store, 27);
        Assert.Equal(0, CliRunner.Run("verify", store, "--deep").Exit);
    }

    [Theory]
    [InlineData("typo.lmbd")]
    [InlineData("gs://bucket/x")]
    public void A_store_path_naming_no_kind_exits_2_and_creates_nothing(string name)
    {
        string path = name.Contains("://") ? name : _dir.File(name);
        var (exit, _, err) = CliRunner.Run("import", "synthetic:10", path);
        Assert.Equal(2, exit);
        Assert.Equal($"imagestash: error: '{path}' names no store kind: use s3://BUCKET/PREFIX, a folder with index.json, .lmdb, .h5/.hdf5, .parquet (a file, 'data/train-*.parquet' or a folder of them), a folder path, or --format shards|lmdb|hdf5|hf|png.", OneLine(err));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
        Assert.False(Directory.Exists("gs:"));
    }

    [Theory]
    [InlineData("--shard-size", "12XB", "--shard-size '12XB' is not a size: write e.g. 67108864, 64MiB or 1GiB.")]
    [InlineData("--parallel", "0", "--parallel takes 1 to 16.")]
    public void A_bad_shard_option_exits_2_with_one_line_and_writes_nothing(string option, string value, string message)
    {
        string store = StoreWithImages();
        string set = _dir.File("set");
        var (exit, _, err) = CliRunner.Run("shard", store, set, option, value);
        Assert.Equal(2, exit);
        Assert.Equal($"imagestash: error: {message}", OneLine(err));
        Assert.False(Directory.Exists(set));
    }

    [Fact]
    public void Loader_bench_cold_on_a_store_without_a_shard_cache_exits_2_with_one_line()
    {
        string store = StoreWithImages();
        var (exit, _, err) = CliRunner.Run("loader-bench", store, "--cold");
        Assert.Equal(2, exit);
        Assert.Equal($"imagestash: error: --cold empties a shard cache: '{store}' is not a shard set in object storage.", OneLine(err));
    }

    [Fact]
    public void Importing_into_a_shard_set_is_refused_with_the_command_that_writes_one()
    {
        var (exit, _, err) = CliRunner.Run("import", "synthetic:10", "s3://bucket/x");
        Assert.Equal(2, exit);
        Assert.Equal("imagestash: error: shard set 's3://bucket/x' cannot be created or written as a store: write it with 'imagestash shard SRC s3://bucket/x'.", OneLine(err));
        Assert.False(Directory.Exists("s3:"));
    }

    [Fact]
    public void A_damaged_image_met_by_a_parallel_export_is_reported_as_itself()
    {
        string store = _dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "synthetic:200", store).Exit);
        foreach (int id in new[] { 150, 37 })
            File.WriteAllBytes(Path.Combine(store, "images", $"{id & 0xFF:x2}", $"{id}.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var (exit, _, err) = CliRunner.Run("export", store, _dir.File("out"));
        Assert.Equal(1, exit);
        string line = OneLine(err);
        Assert.DoesNotContain("AggregateException", line);
        Assert.DoesNotContain("One or more errors", line);
        Assert.StartsWith($"imagestash: error: store '{store}': image 37 is damaged (", line);  // the earliest damaged image, whichever thread met one first
    }
}
