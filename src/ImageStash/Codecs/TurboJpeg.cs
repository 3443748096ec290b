using System.Runtime.InteropServices;

namespace ImageStash.Codecs;

/// <summary>
/// The system's libjpeg-turbo through its TurboJPEG 2.1 API (Debian: libturbojpeg0, file libturbojpeg.so.0), the
/// fastest JPEG decoder on the project machine (docs/formats/codecs.md has the figures). One decompressor and one
/// compressor handle per thread: TurboJPEG handles are not thread-safe, and creating one per image costs more than
/// decoding a thumbnail. When the library is missing, JPEG falls back to Skia.
/// </summary>
internal static unsafe partial class TurboJpeg
{
    private const string Lib = "turbojpeg";

    /// <summary>Set to a library file to load that one instead of searching (also how tests simulate a missing library).</summary>
    public const string OverrideVariable = "IMAGESTASH_TURBOJPEG_LIBRARY";

    // Pixel formats (TJPF_*), colour spaces (TJCS_*), flags (TJFLAG_*) and error codes (TJERR_*) of turbojpeg.h 2.1.
    public const int PixelRgb = 0, PixelRgbx = 2, PixelGray = 6, PixelRgba = 7, PixelCmyk = 11;
    public const int ColorspaceRgb = 0, ColorspaceYCbCr = 1, ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    public const int FlagStopOnWarning = 8192, FlagNoRealloc = 1024;
    /// <summary>TJFLAG_LIMITSCANS: refuse a progressive file of more than 500 scans (each scan re-reads the whole image's coefficients: thousands burn CPU).</summary>
    public const int FlagLimitScans = 32768;
    public const int Subsampling420 = 2, SubsamplingGray = 3;

    private static readonly Lazy<bool> Loaded = new(Load);

    [ThreadStatic] private static nint _decompressor;
    [ThreadStatic] private static nint _compressor;

    /// <summary>Whether libturbojpeg could be loaded.</summary>
    public static bool Available => Loaded.Value;

    /// <summary>This thread's decompressor.</summary>
    public static nint Decompressor => _decompressor != 0 ? _decompressor : _decompressor = Checked(tjInitDecompress(), "tjInitDecompress");

    /// <summary>This thread's compressor.</summary>
    public static nint Compressor => _compressor != 0 ? _compressor : _compressor = Checked(tjInitCompress(), "tjInitCompress");

    /// <summary>
    /// The handle's last error; the handle is then thrown away, because TurboJPEG 2.1 leaves a decompressor that
    /// failed in a state where its next header read reports 0×0 (seen here: a truncated file, then a good one).
    /// </summary>
    public static string TakeError(nint handle)
    {
        string message = Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";
        if (handle == _decompressor) _decompressor = 0;
        else if (handle == _compressor) _compressor = 0;
        tjDestroy(handle);
        return message;
    }

    private static nint Checked(nint handle, string call) =>
        handle != 0 ? handle : throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8(tjGetErrorStr2(0))}");

    private static bool Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        nint library = 0;
        string[] candidates = chosen is { Length: > 0 } ? [chosen] : ["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "turbojpeg.dll"];
        foreach (string candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out library)) break;
        if (library == 0) return false;
        NativeLibrary.SetDllImportResolver(typeof(TurboJpeg).Assembly, (name, _, _) => name == Lib ? library : 0);
        return true;
    }

    [LibraryImport(Lib)] public static partial nint tjInitDecompress();
    [LibraryImport(Lib)] public static partial nint tjInitCompress();
    [LibraryImport(Lib)] public static partial int tjDecompressHeader3(nint handle, byte* jpeg, nuint size, int* width, int* height, int* subsampling, int* colorspace);
    [LibraryImport(Lib)] public static partial int tjDecompress2(nint handle, byte* jpeg, nuint size, byte* destination, int width, int pitch, int height, int pixelFormat, int flags);
    [LibraryImport(Lib)] public static partial int tjCompress2(nint handle, byte* source, int width, int pitch, int height, int pixelFormat, byte** jpeg, nuint* size, int subsampling, int quality, int flags);
    [LibraryImport(Lib)] public static partial void tjFree(byte* buffer);
    [LibraryImport(Lib)] public static partial int tjDestroy(nint handle);
    [LibraryImport(Lib)] public static partial nint tjGetErrorStr2(nint handle);
    [LibraryImport(Lib)] public static partial int tjGetErrorCode(nint handle);
}
