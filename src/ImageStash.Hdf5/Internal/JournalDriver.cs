using System.Runtime.InteropServices;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// A libhdf5 virtual file driver ("VFD", HDF5 1.10's <c>H5FD_class_t</c>) that routes every read and write libhdf5
/// makes to a <see cref="JournaledFile"/>. It behaves like libhdf5's default POSIX driver otherwise, writes no
/// driver information into the file (h5py and every other reader see a plain HDF5 file), and is used only by
/// writers. The struct layouts are those of HDF5 1.10 (Debian's libhdf5-103-1); with any other version the store
/// falls back to the default driver and says so in <see cref="Hdf5Store"/>'s guarantees.
/// </summary>
internal static unsafe class JournalDriver
{
    private static long _id = -1;
    private static readonly Dictionary<string, JournaledFile> Opened = new(StringComparer.Ordinal);
    private static Exception? _openFailure;

    /// <summary>The driver's id, registered on first use; -1 when this libhdf5 is not 1.10 (another VFD ABI).</summary>
    public static long Id
    {
        get
        {
            if (_id >= 0 || _id == -2) return _id < 0 ? -1 : _id;
            uint major, minor, release;
            H5.Check(H5.get_libversion(&major, &minor, &release), "H5get_libversion");
            if (major != 1 || minor != 10)
            {
                _id = -2;
                return -1;
            }
            var cls = (ClassStruct*)NativeMemory.AllocZeroed((nuint)sizeof(ClassStruct)); // libhdf5 copies it; kept anyway
            cls->Name = Marshal.StringToHGlobalAnsi("imagestash-journal");
            cls->MaxAddr = (1UL << 63) - 1;
            cls->CloseDegree = 1; // H5F_CLOSE_WEAK
            cls->Open = &Open;
            cls->Close = &Close;
            cls->Cmp = &Cmp;
            cls->Query = &Query;
            cls->GetEoa = &GetEoa;
            cls->SetEoa = &SetEoa;
            cls->GetEof = &GetEof;
            cls->GetHandle = &GetHandle;
            cls->Read = &Read;
            cls->Write = &Write;
            cls->Truncate = &Truncate;
            cls->Lock = &Lock;
            cls->Unlock = &Unlock;
            // H5FD_FLMAP_DICHOTOMY: metadata and raw data in separate free lists.
            int[] map = [1, 1, 1, 3, 3, 1, 1];
            for (int i = 0; i < map.Length; i++) cls->FreeListMap[i] = map[i];
            _id = H5.Check(H5.FDregister(cls), "H5FDregister");
            return _id;
        }
    }

    /// <summary>
    /// Opens or creates <paramref name="path"/> through the driver (caller holds <see cref="H5.Gate"/>); the file's
    /// <see cref="JournaledFile"/> comes back for commits. Returns a negative id as libhdf5 does on failure.
    /// </summary>
    public static long OpenFile(string path, bool create, long fapl, out JournaledFile? file, out Exception? failure)
    {
        H5.Check(H5.Pset_driver(fapl, Id, null), "H5Pset_driver", path);
        _openFailure = null;
        long id = create ? H5.Fcreate(path, H5.F_ACC_EXCL, H5.P_DEFAULT, fapl) : H5.Fopen(path, H5.F_ACC_RDWR, fapl);
        Opened.Remove(path, out file);
        failure = _openFailure;
        return id;
    }

    private static JournaledFile File(Native* f) => (JournaledFile)GCHandle.FromIntPtr(f->Handle).Target!;

    [UnmanagedCallersOnly]
    private static Native* Open(byte* name, uint flags, long fapl, ulong maxaddr)
    {
        try
        {
            string path = Marshal.PtrToStringUTF8((IntPtr)name)!;
            bool create = (flags & 0x10) != 0, exclusive = (flags & H5.F_ACC_EXCL) != 0, truncate = (flags & 0x2) != 0;
            var mode = create ? exclusive ? FileMode.CreateNew : truncate ? FileMode.Create : FileMode.OpenOrCreate : FileMode.Open;
            var file = new JournaledFile(path, mode, (flags & H5.F_ACC_RDWR) != 0);
            var native = (Native*)NativeMemory.AllocZeroed((nuint)sizeof(Native));
            native->Handle = GCHandle.ToIntPtr(GCHandle.Alloc(file));
            native->Descriptor = file.Descriptor;
            Opened[path] = file;
            return native;
        }
        catch (Exception e)
        {
            _openFailure = e;
            return null;
        }
    }

    [UnmanagedCallersOnly]
    private static int Close(Native* f)
    {
        var handle = GCHandle.FromIntPtr(f->Handle);
        var file = (JournaledFile)handle.Target!;
        handle.Free();
        NativeMemory.Free(f);
        return Guarded(file, static file => file.CloseData());
    }

    [UnmanagedCallersOnly]
    private static int Cmp(Native* a, Native* b) => string.CompareOrdinal(File(a).Path, File(b).Path);

    [UnmanagedCallersOnly]
    private static int Query(Native* f, ulong* flags)
    {
        // Aggregate and accumulate metadata, sieve raw data, aggregate small raw data, POSIX handle, files the
        // default driver can open — what the default driver says of itself, minus SWMR.
        if (flags is not null) *flags = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x80 | 0x8000;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static ulong GetEoa(Native* f, int type) => (ulong)File(f).Eoa;

    [UnmanagedCallersOnly]
    private static int SetEoa(Native* f, int type, ulong address)
    {
        File(f).Eoa = (long)address;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static ulong GetEof(Native* f, int type) => (ulong)File(f).Eof;

    [UnmanagedCallersOnly]
    private static int GetHandle(Native* f, long fapl, void** handle)
    {
        *handle = &f->Descriptor;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Read(Native* f, int type, long dxpl, ulong address, nuint size, void* buffer) =>
        Transfer(File(f), address, size, (byte*)buffer, write: false);

    [UnmanagedCallersOnly]
    private static int Write(Native* f, int type, long dxpl, ulong address, nuint size, void* buffer) =>
        Transfer(File(f), address, size, (byte*)buffer, write: true);

    /// <summary>A read or write within libhdf5's address space, in pieces a span can hold; 0, or −1 with the cause kept.</summary>
    private static int Transfer(JournaledFile file, ulong address, nuint size, byte* buffer, bool write)
    {
        try
        {
            if (address + size > (ulong)file.Eoa)
                throw new InvalidDataException($"'{file.Path}': {(write ? "write" : "read")} of {size} bytes at {address} past the end of the HDF5 address space ({file.Eoa}).");
            for (ulong done = 0; done < size;)
            {
                int n = (int)Math.Min(size - done, 1UL << 30);
                if (write) file.Write((long)(address + done), new ReadOnlySpan<byte>(buffer + done, n));
                else file.Read((long)(address + done), new Span<byte>(buffer + done, n));
                done += (ulong)n;
            }
            return 0;
        }
        catch (Exception e)
        {
            file.Fail(e);
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int Truncate(Native* f, long dxpl, byte closing) => Guarded(File(f), static file => file.Truncate());

    /// <summary>Runs a callback's work: 0, or −1 with the cause kept for the store's message (libhdf5 reports no errno).</summary>
    private static int Guarded(JournaledFile file, Action<JournaledFile> work)
    {
        try
        {
            work(file);
            return 0;
        }
        catch (Exception e)
        {
            file.Fail(e);
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int Lock(Native* f, byte readWrite) => 0; // the store's own lock file keeps writers apart

    [UnmanagedCallersOnly]
    private static int Unlock(Native* f) => 0;

    /// <summary>libhdf5's <c>H5FD_t</c> (80 bytes in 1.10, filled in by libhdf5), then the driver's own fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Native
    {
        public fixed byte Public[128];
        public IntPtr Handle;
        public int Descriptor;
    }

    /// <summary>HDF5 1.10's <c>H5FD_class_t</c>, field for field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ClassStruct
    {
        public IntPtr Name;
        public ulong MaxAddr;
        public int CloseDegree;
        public IntPtr Terminate, SbSize, SbEncode, SbDecode;
        public nuint FaplSize;
        public IntPtr FaplGet, FaplCopy, FaplFree;
        public nuint DxplSize;
        public IntPtr DxplCopy, DxplFree;
        public delegate* unmanaged<byte*, uint, long, ulong, Native*> Open;
        public delegate* unmanaged<Native*, int> Close;
        public delegate* unmanaged<Native*, Native*, int> Cmp;
        public delegate* unmanaged<Native*, ulong*, int> Query;
        public IntPtr GetTypeMap, Alloc, Free;
        public delegate* unmanaged<Native*, int, ulong> GetEoa;
        public delegate* unmanaged<Native*, int, ulong, int> SetEoa;
        public delegate* unmanaged<Native*, int, ulong> GetEof;
        public delegate* unmanaged<Native*, long, void**, int> GetHandle;
        public delegate* unmanaged<Native*, int, long, ulong, nuint, void*, int> Read;
        public delegate* unmanaged<Native*, int, long, ulong, nuint, void*, int> Write;
        public IntPtr Flush;
        public delegate* unmanaged<Native*, long, byte, int> Truncate;
        public delegate* unmanaged<Native*, byte, int> Lock;
        public delegate* unmanaged<Native*, int> Unlock;
        public fixed int FreeListMap[7];
    }
}
