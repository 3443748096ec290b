using System.Runtime.InteropServices;
using System.Text;

namespace ImageStash.Hdf5.Internal;

/// <summary>Dataset and attribute helpers over <see cref="H5"/>. Callers hold <see cref="H5.Gate"/>.</summary>
internal static unsafe class H5Util
{
    /// <summary>Whether the first dimension can grow (maxshape None in h5py terms).</summary>
    public static bool Extendible(long dataset, string path)
    {
        long space = H5.Check(H5.Dget_space(dataset), "H5Dget_space", path);
        try
        {
            int rank = (int)H5.Check(H5.Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", path);
            var dims = stackalloc ulong[rank];
            var max = stackalloc ulong[rank];
            H5.Check(H5.Sget_simple_extent_dims(space, dims, max), "H5Sget_simple_extent_dims", path);
            return max[0] == H5.S_UNLIMITED;
        }
        finally { H5.Sclose(space); }
    }

    public static ulong[] Dims(long dataset, string path)
    {
        long space = H5.Check(H5.Dget_space(dataset), "H5Dget_space", path);
        try
        {
            int rank = (int)H5.Check(H5.Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", path);
            var dims = new ulong[rank];
            fixed (ulong* d = dims) H5.Check(H5.Sget_simple_extent_dims(space, d, null), "H5Sget_simple_extent_dims", path);
            return dims;
        }
        finally { H5.Sclose(space); }
    }

    /// <summary>
    /// Creates an extendible dataset of shape (0, rest…) chunked by (chunkRows, rest…). With
    /// <paramref name="allocateEarly"/>, growing it allocates the new chunks at once, without writing fill values, so
    /// their addresses are known before any data is written.
    /// </summary>
    public static long CreateExtendible(long file, string name, long fileType, ReadOnlySpan<ulong> rest, ulong chunkRows, string path, bool allocateEarly = false)
    {
        int rank = 1 + rest.Length;
        var dims = stackalloc ulong[rank];
        var max = stackalloc ulong[rank];
        var chunk = stackalloc ulong[rank];
        dims[0] = 0; max[0] = H5.S_UNLIMITED; chunk[0] = chunkRows;
        for (int i = 0; i < rest.Length; i++) dims[i + 1] = max[i + 1] = chunk[i + 1] = rest[i];
        long space = H5.Check(H5.Screate_simple(rank, dims, max), "H5Screate_simple", path);
        long dcpl = H5.Check(H5.Pcreate(H5.DATASET_CREATE), "H5Pcreate", path);
        try
        {
            H5.Check(H5.Pset_chunk(dcpl, rank, chunk), "H5Pset_chunk", path);
            if (allocateEarly)
            {
                H5.Check(H5.Pset_alloc_time(dcpl, H5.D_ALLOC_TIME_EARLY), "H5Pset_alloc_time", path);
                H5.Check(H5.Pset_fill_time(dcpl, H5.D_FILL_TIME_NEVER), "H5Pset_fill_time", path);
            }
            return H5.Check(H5.Dcreate2(file, name, fileType, space, H5.P_DEFAULT, dcpl, H5.P_DEFAULT), $"H5Dcreate2 {name}", path);
        }
        finally
        {
            H5.Pclose(dcpl);
            H5.Sclose(space);
        }
    }

    /// <summary>Grows the first dimension of a dataset to <paramref name="rows"/>.</summary>
    public static void Extend(long dataset, ulong rows, string path)
    {
        var dims = Dims(dataset, path);
        dims[0] = rows;
        fixed (ulong* d = dims) H5.Check(H5.Dset_extent(dataset, d), "H5Dset_extent", path);
    }

    /// <summary>Writes or reads rows [start, start+count) of a dataset from/to a contiguous buffer.</summary>
    public static void Rows(long dataset, long memType, ulong start, ulong count, void* buffer, bool write, string path)
    {
        long fileSpace = H5.Check(H5.Dget_space(dataset), "H5Dget_space", path);
        long memSpace = -1;
        try
        {
            int rank = (int)H5.Check(H5.Sget_simple_extent_ndims(fileSpace), "H5Sget_simple_extent_ndims", path);
            var offset = stackalloc ulong[rank];
            var size = stackalloc ulong[rank];
            H5.Check(H5.Sget_simple_extent_dims(fileSpace, size, null), "H5Sget_simple_extent_dims", path);
            offset[0] = start; size[0] = count;
            for (int i = 1; i < rank; i++) offset[i] = 0;
            memSpace = H5.Check(H5.Screate_simple(rank, size, null), "H5Screate_simple", path);
            H5.Check(H5.Sselect_hyperslab(fileSpace, H5.S_SELECT_SET, offset, null, size, null), "H5Sselect_hyperslab", path);
            if (write) H5.Check(H5.Dwrite(dataset, memType, memSpace, fileSpace, H5.P_DEFAULT, buffer), "H5Dwrite", path);
            else H5.Check(H5.Dread(dataset, memType, memSpace, fileSpace, H5.P_DEFAULT, buffer), "H5Dread", path);
        }
        finally
        {
            if (memSpace >= 0) H5.Sclose(memSpace);
            H5.Sclose(fileSpace);
        }
    }

    /// <summary>Reads the first <paramref name="count"/> elements of a 1-D dataset, converted to the memory type.</summary>
    public static T[] ReadVector<T>(long dataset, long memType, ulong count, string path) where T : unmanaged
    {
        var values = new T[count];
        if (count > 0)
            fixed (T* p = values) Rows(dataset, memType, 0, count, p, write: false, path);
        return values;
    }

    /// <summary>Reads the first <paramref name="count"/> rows of an (N, <paramref name="perRow"/>) dataset, row-major.</summary>
    public static T[] ReadRows<T>(long dataset, long memType, ulong count, int perRow, string path) where T : unmanaged
    {
        var values = new T[count * (ulong)perRow];
        if (count > 0)
            fixed (T* p = values) Rows(dataset, memType, 0, count, p, write: false, path);
        return values;
    }

    /// <summary>
    /// Replaces an attribute with a fixed-length UTF-8 string. Stored inside the object header (checksummed in the
    /// 1.10 format), unlike variable-length strings, which live in the unchecksummed global heap — where a flipped
    /// byte made libhdf5 crash while reading (found by fuzzing).
    /// </summary>
    public static void WriteTextAttribute(long obj, string name, string value, string path)
    {
        if (H5.Aexists(obj, name) > 0) H5.Check(H5.Adelete(obj, name), "H5Adelete", path);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        long type = H5.Tcopy(H5.C_S1);
        H5.Tset_size(type, (nuint)Math.Max(1, bytes.Length));
        H5.Tset_cset(type, H5.T_CSET_UTF8);
        long space = H5.Screate(0 /* H5S_SCALAR */);
        try
        {
            long attr = H5.Check(H5.Acreate2(obj, name, type, space, H5.P_DEFAULT, H5.P_DEFAULT), $"H5Acreate2 {name}", path);
            try { fixed (byte* p = bytes.Length == 0 ? [0] : bytes) H5.Check(H5.Awrite(attr, type, p), "H5Awrite", path); }
            finally { H5.Aclose(attr); }
        }
        finally
        {
            H5.Sclose(space);
            H5.Tclose(type);
        }
    }

    /// <summary>Reads a fixed-length string attribute; null when absent or of another type.</summary>
    public static string? ReadTextAttribute(long obj, string name, string path)
    {
        if (H5.Aexists(obj, name) <= 0) return null;
        long attr = H5.Check(H5.Aopen(obj, name, H5.P_DEFAULT), "H5Aopen", path);
        long type = H5.Aget_type(attr);
        try
        {
            if (H5.Tget_class(type) != H5.T_STRING || H5.Tis_variable_str(type) != 0) return null;
            nuint size = H5.Tget_size(type);
            if (size > 16 << 20) throw new InvalidDataException($"'{path}': attribute {name} claims {size} bytes.");
            var bytes = new byte[(int)size];
            fixed (byte* p = bytes) H5.Check(H5.Aread(attr, type, p), "H5Aread", path);
            return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
        }
        finally
        {
            H5.Tclose(type);
            H5.Aclose(attr);
        }
    }

    public static void WriteInt64Attribute(long obj, string name, long value, string path)
    {
        long attr;
        if (H5.Aexists(obj, name) > 0) attr = H5.Check(H5.Aopen(obj, name, H5.P_DEFAULT), "H5Aopen", path);
        else
        {
            long space = H5.Screate(0 /* H5S_SCALAR */);
            attr = H5.Check(H5.Acreate2(obj, name, H5.STD_I64LE, space, H5.P_DEFAULT, H5.P_DEFAULT), $"H5Acreate2 {name}", path);
            H5.Sclose(space);
        }
        try { H5.Check(H5.Awrite(attr, H5.NATIVE_INT64, &value), "H5Awrite", path); }
        finally { H5.Aclose(attr); }
    }

    public static long? ReadInt64Attribute(long obj, string name, string path)
    {
        if (H5.Aexists(obj, name) <= 0) return null;
        long attr = H5.Check(H5.Aopen(obj, name, H5.P_DEFAULT), "H5Aopen", path);
        try
        {
            long value;
            H5.Check(H5.Aread(attr, H5.NATIVE_INT64, &value), "H5Aread", path);
            return value;
        }
        finally { H5.Aclose(attr); }
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
