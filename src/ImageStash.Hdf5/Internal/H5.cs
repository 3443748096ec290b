using System.Reflection;
using System.Runtime.InteropServices;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The few libhdf5 (1.10+) functions the HDF5 store needs, resolved from the system library (Debian:
/// libhdf5-103-1, file libhdf5_serial.so.103). The serial build is not thread-safe: every call must hold
/// <see cref="Gate"/>. hid_t is 64-bit since HDF5 1.10.
/// </summary>
internal static partial class H5
{
    private const string Lib = "hdf5";

    /// <summary>Set to a library file to load that one instead of searching.</summary>
    public const string OverrideVariable = "IMAGESTASH_HDF5_LIBRARY";

    private static readonly string[] Candidates =
        ["libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so.200", "libhdf5.so.200", "libhdf5.so.310", "libhdf5.so", "libhdf5.dylib", "hdf5.dll"];

    /// <summary>All HDF5 calls in the process hold this lock.</summary>
    public static readonly object Gate = new();

    private static readonly Lazy<IntPtr> Handle = new(Load);
    private static int _initialised;

    public const long P_DEFAULT = 0, S_ALL = 0, E_DEFAULT = 0;
    public const uint F_ACC_RDONLY = 0, F_ACC_RDWR = 1, F_ACC_EXCL = 4;
    public const int S_SELECT_SET = 0;
    public const ulong S_UNLIMITED = ulong.MaxValue, HADDR_UNDEF = ulong.MaxValue;
    public static readonly nuint T_VARIABLE = nuint.MaxValue;
    public const int T_CSET_UTF8 = 1, T_STRING = 3, D_CONTIGUOUS = 1, D_CHUNKED = 2, F_SCOPE_LOCAL = 0, D_ALLOC_TIME_EARLY = 1, D_FILL_TIME_NEVER = 1;

    public static long NATIVE_UINT8, NATIVE_INT32, NATIVE_UINT32, NATIVE_INT64, STD_U8LE, STD_I32LE, STD_U32LE, STD_I64LE, C_S1;
    public static long DATASET_CREATE, DATASET_ACCESS, FILE_ACCESS;

    /// <summary>Loads libhdf5, calls H5open and reads the type and property-list ids it exports.</summary>
    /// <exception cref="ImageStashException">libhdf5 is not installed; the message names the package.</exception>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _initialised) == 1) return;
        lock (Gate)
        {
            if (_initialised == 1) return;
            NativeLibrary.SetDllImportResolver(typeof(H5).Assembly, Resolve);
            if (Handle.Value == IntPtr.Zero)
                throw ImageStashException.NativeLibraryMissing(
                    Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } o ? $"'{o}' (from {OverrideVariable})" : "libhdf5_serial.so.103 (HDF5 1.10+)",
                    "libhdf5-103-1");
            Check(open(), "H5open");
            Check(Eset_auto2(E_DEFAULT, IntPtr.Zero, IntPtr.Zero), "H5Eset_auto2"); // we report errors ourselves
            NATIVE_UINT8 = Global("H5T_NATIVE_UINT8_g");
            NATIVE_INT32 = Global("H5T_NATIVE_INT32_g");
            NATIVE_UINT32 = Global("H5T_NATIVE_UINT32_g");
            NATIVE_INT64 = Global("H5T_NATIVE_INT64_g");
            STD_U8LE = Global("H5T_STD_U8LE_g");
            STD_I32LE = Global("H5T_STD_I32LE_g");
            STD_U32LE = Global("H5T_STD_U32LE_g");
            STD_I64LE = Global("H5T_STD_I64LE_g");
            C_S1 = Global("H5T_C_S1_g");
            DATASET_CREATE = Global("H5P_CLS_DATASET_CREATE_ID_g");
            DATASET_ACCESS = Global("H5P_CLS_DATASET_ACCESS_ID_g");
            FILE_ACCESS = Global("H5P_CLS_FILE_ACCESS_ID_g");
            Volatile.Write(ref _initialised, 1);
        }
    }

    /// <summary>Throws when an HDF5 call returned a negative status or id.</summary>
    public static long Check(long result, string call, string? path = null)
    {
        if (result < 0)
            throw new InvalidDataException(path is null ? $"HDF5 call {call} failed." : $"'{path}': HDF5 call {call} failed; the file may be damaged or not in the expected layout.");
        return result;
    }

    private static long Global(string name) => Marshal.ReadInt64(NativeLibrary.GetExport(Handle.Value, name));

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == Lib ? Handle.Value : IntPtr.Zero;

    private static IntPtr Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        foreach (string candidate in chosen is { Length: > 0 } ? [chosen] : Candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }

    [LibraryImport(Lib, EntryPoint = "H5open")] private static partial int open();
    [LibraryImport(Lib, EntryPoint = "H5get_libversion")] public static unsafe partial int get_libversion(uint* major, uint* minor, uint* release);
    [LibraryImport(Lib, EntryPoint = "H5FDregister")] public static unsafe partial long FDregister(void* cls);
    [LibraryImport(Lib, EntryPoint = "H5Pset_driver")] public static unsafe partial int Pset_driver(long fapl, long driver, void* info);
    [LibraryImport(Lib, EntryPoint = "H5Eset_auto2")] private static partial int Eset_auto2(long estack, IntPtr func, IntPtr data);

    [LibraryImport(Lib, EntryPoint = "H5Fis_hdf5", StringMarshalling = StringMarshalling.Utf8)] public static partial int Fis_hdf5(string name);
    [LibraryImport(Lib, EntryPoint = "H5Fcreate", StringMarshalling = StringMarshalling.Utf8)] public static partial long Fcreate(string name, uint flags, long fcpl, long fapl);
    [LibraryImport(Lib, EntryPoint = "H5Fopen", StringMarshalling = StringMarshalling.Utf8)] public static partial long Fopen(string name, uint flags, long fapl);
    [LibraryImport(Lib, EntryPoint = "H5Fflush")] public static partial int Fflush(long id, int scope);
    [LibraryImport(Lib, EntryPoint = "H5Fclose")] public static partial int Fclose(long id);

    [LibraryImport(Lib, EntryPoint = "H5Gopen2", StringMarshalling = StringMarshalling.Utf8)] public static partial long Gopen2(long loc, string name, long gapl);
    [LibraryImport(Lib, EntryPoint = "H5Gclose")] public static partial int Gclose(long id);
    [LibraryImport(Lib, EntryPoint = "H5Tget_size")] public static partial nuint Tget_size(long type);
    [LibraryImport(Lib, EntryPoint = "H5Lexists", StringMarshalling = StringMarshalling.Utf8)] public static partial int Lexists(long loc, string name, long lapl);

    [LibraryImport(Lib, EntryPoint = "H5Dcreate2", StringMarshalling = StringMarshalling.Utf8)] public static partial long Dcreate2(long loc, string name, long type, long space, long lcpl, long dcpl, long dapl);
    [LibraryImport(Lib, EntryPoint = "H5Dopen2", StringMarshalling = StringMarshalling.Utf8)] public static partial long Dopen2(long loc, string name, long dapl);
    [LibraryImport(Lib, EntryPoint = "H5Dclose")] public static partial int Dclose(long id);
    [LibraryImport(Lib, EntryPoint = "H5Dget_space")] public static partial long Dget_space(long id);
    [LibraryImport(Lib, EntryPoint = "H5Dget_type")] public static partial long Dget_type(long id);
    [LibraryImport(Lib, EntryPoint = "H5Dget_create_plist")] public static partial long Dget_create_plist(long id);
    [LibraryImport(Lib, EntryPoint = "H5Dget_offset")] public static partial ulong Dget_offset(long id);
    [LibraryImport(Lib, EntryPoint = "H5Dset_extent")] public static unsafe partial int Dset_extent(long id, ulong* size);
    [LibraryImport(Lib, EntryPoint = "H5Dread")] public static unsafe partial int Dread(long id, long memType, long memSpace, long fileSpace, long xfer, void* buffer);
    [LibraryImport(Lib, EntryPoint = "H5Dwrite")] public static unsafe partial int Dwrite(long id, long memType, long memSpace, long fileSpace, long xfer, void* buffer);
    [LibraryImport(Lib, EntryPoint = "H5Dwrite_chunk")] public static unsafe partial int Dwrite_chunk(long id, long dxpl, uint filters, ulong* offset, nuint size, void* buffer);
    [LibraryImport(Lib, EntryPoint = "H5Dget_chunk_info_by_coord")] public static unsafe partial int Dget_chunk_info_by_coord(long id, ulong* offset, uint* filterMask, ulong* address, ulong* size);
    [LibraryImport(Lib, EntryPoint = "H5Dvlen_reclaim")] public static unsafe partial int Dvlen_reclaim(long type, long space, long xfer, void* buffer);

    [LibraryImport(Lib, EntryPoint = "H5Screate")] public static partial long Screate(int type);
    [LibraryImport(Lib, EntryPoint = "H5Screate_simple")] public static unsafe partial long Screate_simple(int rank, ulong* dims, ulong* maxdims);
    [LibraryImport(Lib, EntryPoint = "H5Sclose")] public static partial int Sclose(long id);
    [LibraryImport(Lib, EntryPoint = "H5Sget_simple_extent_ndims")] public static partial int Sget_simple_extent_ndims(long id);
    [LibraryImport(Lib, EntryPoint = "H5Sget_simple_extent_dims")] public static unsafe partial int Sget_simple_extent_dims(long id, ulong* dims, ulong* maxdims);
    [LibraryImport(Lib, EntryPoint = "H5Sselect_hyperslab")] public static unsafe partial int Sselect_hyperslab(long id, int op, ulong* start, ulong* stride, ulong* count, ulong* block);

    [LibraryImport(Lib, EntryPoint = "H5Pcreate")] public static partial long Pcreate(long cls);
    [LibraryImport(Lib, EntryPoint = "H5Pclose")] public static partial int Pclose(long id);
    [LibraryImport(Lib, EntryPoint = "H5Pset_chunk")] public static unsafe partial int Pset_chunk(long plist, int rank, ulong* dims);
    [LibraryImport(Lib, EntryPoint = "H5Pget_chunk")] public static unsafe partial int Pget_chunk(long plist, int maxRank, ulong* dims);
    [LibraryImport(Lib, EntryPoint = "H5Pget_layout")] public static partial int Pget_layout(long plist);
    [LibraryImport(Lib, EntryPoint = "H5Pget_nfilters")] public static partial int Pget_nfilters(long plist);
    [LibraryImport(Lib, EntryPoint = "H5Pset_chunk_cache")] public static partial int Pset_chunk_cache(long dapl, nuint slots, nuint bytes, double w0);
    [LibraryImport(Lib, EntryPoint = "H5Pset_file_locking")] public static partial int Pset_file_locking(long fapl, [MarshalAs(UnmanagedType.U1)] bool use, [MarshalAs(UnmanagedType.U1)] bool ignoreWhenDisabled);
    [LibraryImport(Lib, EntryPoint = "H5Pset_alloc_time")] public static partial int Pset_alloc_time(long dcpl, int time);
    [LibraryImport(Lib, EntryPoint = "H5Pset_fill_time")] public static partial int Pset_fill_time(long dcpl, int time);
    [LibraryImport(Lib, EntryPoint = "H5Pset_libver_bounds")] public static partial int Pset_libver_bounds(long fapl, int low, int high);

    [LibraryImport(Lib, EntryPoint = "H5Tcopy")] public static partial long Tcopy(long type);
    [LibraryImport(Lib, EntryPoint = "H5Tset_size")] public static partial int Tset_size(long type, nuint size);
    [LibraryImport(Lib, EntryPoint = "H5Tset_cset")] public static partial int Tset_cset(long type, int cset);
    [LibraryImport(Lib, EntryPoint = "H5Tget_class")] public static partial int Tget_class(long type);
    [LibraryImport(Lib, EntryPoint = "H5Tis_variable_str")] public static partial int Tis_variable_str(long type);
    [LibraryImport(Lib, EntryPoint = "H5Tclose")] public static partial int Tclose(long type);

    [LibraryImport(Lib, EntryPoint = "H5Aexists", StringMarshalling = StringMarshalling.Utf8)] public static partial int Aexists(long obj, string name);
    [LibraryImport(Lib, EntryPoint = "H5Acreate2", StringMarshalling = StringMarshalling.Utf8)] public static partial long Acreate2(long loc, string name, long type, long space, long acpl, long aapl);
    [LibraryImport(Lib, EntryPoint = "H5Aopen", StringMarshalling = StringMarshalling.Utf8)] public static partial long Aopen(long obj, string name, long aapl);
    [LibraryImport(Lib, EntryPoint = "H5Adelete", StringMarshalling = StringMarshalling.Utf8)] public static partial int Adelete(long obj, string name);
    [LibraryImport(Lib, EntryPoint = "H5Awrite")] public static unsafe partial int Awrite(long attr, long memType, void* buffer);
    [LibraryImport(Lib, EntryPoint = "H5Aread")] public static unsafe partial int Aread(long attr, long memType, void* buffer);
    [LibraryImport(Lib, EntryPoint = "H5Aget_space")] public static partial long Aget_space(long attr);
    [LibraryImport(Lib, EntryPoint = "H5Aget_type")] public static partial long Aget_type(long attr);
    [LibraryImport(Lib, EntryPoint = "H5Aclose")] public static partial int Aclose(long attr);
}
