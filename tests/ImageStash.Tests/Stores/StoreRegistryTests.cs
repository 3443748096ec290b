namespace ImageStash.Tests.Stores;

/// <summary>The registry decides what a path names; a typo or an unserved URL never becomes a PNG folder.</summary>
public sealed class StoreRegistryTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("typo.lmbd")]
    [InlineData("cifar.hdf")]
    [InlineData("s3://bucket/x")]
    [InlineData("http://example.invalid/data")]
    public void A_path_naming_no_store_kind_is_refused_and_nothing_is_created(string name)
    {
        string path = name.Contains("://") ? name : _dir.File(name);
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Builtin.Open(path));
        Assert.Equal(ImageStashError.UnknownKind, e.Error);
        Assert.Equal($"'{path}' names no store kind: use .lmdb, .h5/.hdf5, a folder path, or --format lmdb|hdf5|png.", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
        Assert.False(Directory.Exists("s3:"), "an s3:// path made a local folder");
    }

    [Fact]
    public void A_plain_new_path_an_existing_folder_and_a_named_format_still_mean_what_they_say()
    {
        Assert.Equal("png", StoreKinds.Builtin.Resolve(_dir.File("plain")).Format);
        Assert.Equal("png", StoreKinds.Builtin.Resolve(Directory.CreateDirectory(_dir.File("photos.v2")).FullName).Format);
        Assert.Equal("png", StoreKinds.Builtin.Resolve(_dir.File("typo.lmbd"), "png").Format);
        Assert.Equal("lmdb", StoreKinds.Builtin.Resolve(_dir.File("x.LMDB/")).Format);
        Assert.Equal("hdf5", StoreKinds.Builtin.Resolve(_dir.File("x.hdf5")).Format);
    }

    [Fact]
    public void An_unknown_format_name_lists_the_kinds()
    {
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Builtin.Resolve(_dir.File("x"), "zarr"));
        Assert.Equal(ImageStashError.UnknownKind, e.Error);
        Assert.Equal("unknown store format 'zarr'; use one of: lmdb, hdf5, png.", e.Message);
    }
}
