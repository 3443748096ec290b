using System.IO.Compression;
using System.Runtime.InteropServices;

namespace ImageStash.Codecs;

/// <summary>
/// zlib for many small buffers (one PNG per 32×32 image). Inflating keeps one native stream per thread and
/// resets it between images instead of creating one each time (the system's libz, always present on Linux;
/// elsewhere, or if it cannot be loaded, <see cref="ZLibStream"/>).
/// </summary>
internal static unsafe class Zlib
{
    private const int Z_FINISH = 4, Z_STREAM_END = 1, Z_OK = 0;

    private static readonly bool Native = OperatingSystem.IsLinux() && IntPtr.Size == 8 && Probe();

    [ThreadStatic] private static Stream? _inflater;

    /// <summary>Compresses <paramref name="input"/> into a zlib stream (RFC 1950) at level 6.</summary>
    /// <remarks>
    /// Uses .NET's bundled zlib-ng: it compresses a small filtered image faster, stream creation included, than the
    /// system zlib does with a reused stream (benchmarks/results/2026-12-03-house/from-comments.md).
    /// </remarks>
    public static byte[] Compress(ReadOnlySpan<byte> input)
    {
        var output = new MemoryStream(input.Length / 2 + 64);
        using (var z = new ZLibStream(output, new ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: true)) z.Write(input);
        return output.ToArray();
    }

    /// <summary>Decompresses a zlib stream into <paramref name="output"/>, which it must fill exactly.</summary>
    /// <returns>The bytes written; fewer than the output's length means the stream ended early.</returns>
    /// <exception cref="InvalidDataException">The stream is damaged (bad header, data or checksum).</exception>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (!Native)
        {
            using var z = new ZLibStream(new MemoryStream(input.ToArray()), CompressionMode.Decompress);
            int got = 0;
            for (int n; got < output.Length && (n = z.Read(output[got..])) > 0;) got += n;
            return got;
        }
        var s = _inflater ??= new Stream();
        Check(inflateReset(s.Z), "inflateReset");
        fixed (byte* src = input)
        fixed (byte* dst = output)
        {
            s.Z->next_in = src;
            s.Z->avail_in = (uint)input.Length;
            s.Z->next_out = dst;
            s.Z->avail_out = (uint)output.Length;
            int rc = inflate(s.Z, Z_FINISH);
            int written = output.Length - (int)s.Z->avail_out;
            // Z_BUF_ERROR (-5) with room left means the input ran out: a truncated stream, reported by the caller's length check.
            if (rc == Z_STREAM_END || rc == -5) return written;
            string? message = s.Z->msg == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(s.Z->msg);
            throw new InvalidDataException($"zlib: {message ?? $"error {rc}"}");
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != Z_OK) throw new InvalidOperationException($"zlib {call} failed ({rc}).");
    }

    private static bool Probe()
    {
        try
        {
            using var s = new Stream();
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A native z_stream at a fixed address (zlib keeps a pointer to it), freed when the thread's object is collected.</summary>
    private sealed class Stream : IDisposable
    {
        public Stream()
        {
            Z = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
            int rc = inflateInit2_(Z, 15, zlibVersion(), sizeof(ZStream));
            if (rc != Z_OK)
            {
                NativeMemory.Free(Z);
                Z = null;
                throw new InvalidOperationException($"zlib init failed ({rc}).");
            }
        }

        public ZStream* Z { get; private set; }

        ~Stream() => Dispose();

        public void Dispose()
        {
            if (Z == null) return;
            inflateEnd(Z);
            NativeMemory.Free(Z);
            Z = null;
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>zlib's z_stream on LP64 (uLong is 8 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* next_in;
        public uint avail_in;
        public nuint total_in;
        public byte* next_out;
        public uint avail_out;
        public nuint total_out;
        public IntPtr msg;
        public IntPtr state;
        public IntPtr zalloc, zfree, opaque;
        public int data_type;
        public nuint adler, reserved;
    }

    private const string Lib = "libz.so.1";
    [DllImport(Lib)] private static extern IntPtr zlibVersion();
    [DllImport(Lib)] private static extern int inflateInit2_(ZStream* strm, int windowBits, IntPtr version, int streamSize);
    [DllImport(Lib)] private static extern int inflate(ZStream* strm, int flush);
    [DllImport(Lib)] private static extern int inflateReset(ZStream* strm);
    [DllImport(Lib)] private static extern int inflateEnd(ZStream* strm);
}
