using System.Runtime.InteropServices;

namespace ImageStash.Bench;

/// <summary>The machine a bench ran on, so figures can be compared with care.</summary>
/// <param name="Cpu">CPU model name.</param>
/// <param name="Cores">Logical processors.</param>
/// <param name="MemoryBytes">Installed memory.</param>
/// <param name="OperatingSystem">OS description.</param>
/// <param name="DotNet">.NET runtime version.</param>
/// <param name="FileSystem">The file system the stores were written to (type and device).</param>
public sealed record MachineInfo(string Cpu, int Cores, long MemoryBytes, string OperatingSystem, string DotNet, string FileSystem)
{
    /// <summary>Describes this machine, with the file system of <paramref name="directory"/>.</summary>
    public static MachineInfo Current(string directory) => new(
        ReadCpu(), Environment.ProcessorCount, ReadMemory(), RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription, ReadFileSystem(directory));

    private static string ReadCpu()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static long ReadMemory()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string ReadFileSystem(string directory)
    {
        try
        {
            string full = Path.GetFullPath(directory);
            (string Mount, string Type, string Device) best = ("", "unknown", "");
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                var f = line.Split(' ');
                if (f.Length > 2 && full.StartsWith(f[1], StringComparison.Ordinal) && f[1].Length > best.Mount.Length
                    && (full.Length == f[1].Length || f[1] == "/" || full[f[1].Length] == '/'))
                    best = (f[1], f[2], f[0]);
            }
            return $"{best.Type} ({best.Device} on {best.Mount})";
        }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }
}
