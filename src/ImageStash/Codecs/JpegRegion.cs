using System.Runtime.InteropServices;
using System.Text;

namespace ImageStash.Codecs;

/// <summary>
/// ImageStash's own small native library, libimagestash_jpeg.so (source: Codecs/Native/jpeg_region.c, compiled by the
/// build into runtimes/linux-x64/native/), which decodes a rectangle of a JPEG through the system's libjpeg:
/// <c>jpeg_crop_scanline</c> and <c>jpeg_skip_scanlines</c>, which TurboJPEG 2.1 lacks. libjpeg reports errors by
/// <c>longjmp</c>, which cannot cross .NET frames, so the shim catches them and returns a status code. Where the
/// library is missing (another OS, no compiler at build time) JPEG crops decode whole images.
/// </summary>
internal static unsafe class JpegRegion
{
    /// <summary>Set to a library file to load that one instead of searching, or to "none" to go without.</summary>
    public const string OverrideVariable = "IMAGESTASH_JPEG_REGION_LIBRARY";

    /// <summary>The library's file name.</summary>
    public const string FileName = "libimagestash_jpeg.so";

    /// <summary>The most progressive scans a file may have, as TurboJPEG's TJFLAG_LIMITSCANS allows.</summary>
    public const int MaxScans = 500;

    // Status codes of jpeg_region.c (ISJ_*).
    public const int Ok = 0, Corrupt = 1, TooManyScans = 2, Unsupported = 3, BadArgument = 4;

    private const int Version = 1, MessageSize = 256;

    private static readonly Lazy<(nint Decode, string? Missing)> Loaded = new(Load);

    /// <summary>Whether the shim is loaded, so JPEG regions decode alone.</summary>
    public static bool Available => Loaded.Value.Decode != 0;

    /// <summary>Why the shim is not loaded, in a sentence; null when it is.</summary>
    public static string? Missing => Loaded.Value.Missing;

    /// <summary>
    /// Decodes the rectangle (in pixels of the image at 1/<paramref name="scale"/>) into <paramref name="output"/>
    /// (width × height × channels bytes, which the caller has checked). Returns a status code; the message when not <see cref="Ok"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, int scale, int x, int y, int width, int height, int channels, Span<byte> output, out string? message)
    {
        var decode = (delegate* unmanaged<byte*, nuint, int, int, int, int, int, int, byte*, int, byte*, int, int>)Loaded.Value.Decode;
        byte* text = stackalloc byte[MessageSize];
        int status;
        fixed (byte* jpeg = data)
        fixed (byte* pixels = output)
            status = decode(jpeg, (nuint)data.Length, scale, x, y, width, height, channels, pixels, MaxScans, text, MessageSize);
        message = status == Ok ? null : Marshal.PtrToStringUTF8((nint)text);
        return status;
    }

    private static (nint, string?) Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        if (chosen == "none") return (0, $"{OverrideVariable}=none");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return (0, "built for linux-x64 only");
        string here = Path.GetDirectoryName(typeof(JpegRegion).Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        string[] candidates = chosen is { Length: > 0 } ? [chosen] :
            [Path.Combine(here, "runtimes", "linux-x64", "native", FileName), Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", FileName),
             Path.Combine(here, FileName), Path.Combine(AppContext.BaseDirectory, FileName)];
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate) || !NativeLibrary.TryLoad(candidate, out nint library)) continue;
            if (!NativeLibrary.TryGetExport(library, "isj_version", out nint version) || ((delegate* unmanaged<int>)version)() != Version
                || !NativeLibrary.TryGetExport(library, "isj_decode_region", out nint decode))
                return (0, $"{candidate} is from another version of ImageStash");
            return (decode, null);
        }
        return (0, $"{FileName} was not built (gcc or libjpeg62-turbo-dev missing at build time; scripts/deps.sh installs them) or libjpeg.so.62 is missing");
    }
}
