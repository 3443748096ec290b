using System.Diagnostics;

namespace ImageStash.Tests;

/// <summary>Runs the imagestash CLI or Python as a separate process (for locks, crashes, native failures, interop).</summary>
public static class ChildProcess
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "ImageStash.Cli.dll");

    /// <summary>Debian's python3, which has h5py, lmdb, numpy and PIL from apt (a pyenv python3 on PATH may not).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>The repository's Python package (python/src), put on PYTHONPATH for the interop scripts that import it.</summary>
    public static string PythonPackage => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../python/src"));

    /// <summary>An environment in which Python imports <c>imagestash</c> from this checkout.</summary>
    public static Dictionary<string, string> WithPackage() => new() { ["PYTHONPATH"] = PythonPackage };

    public static (int Exit, string Out, string Err) Cli(IDictionary<string, string>? env, params string[] args) =>
        Run("dotnet", [CliDll, .. args], env);

    /// <summary>Runs this test assembly as a child process (<see cref="ImageStash.Tests.TestChild"/>).</summary>
    public static (int Exit, string Out, string Err) TestChild(params string[] args) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "ImageStash.Tests.dll"), .. args]);

    /// <summary>Runs the CLI and reads its peak resident memory from the kernel's accounting of waited-for children.</summary>
    public static (int Exit, long PeakMb, string Err) CliPeakMemory(params string[] args)
    {
        const string peak = "import resource, subprocess, sys\n" +
                            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n" +
                            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n" +
                            "sys.stderr.write(r.stderr)\n";
        var (exit, output, err) = Run(Python, ["-c", peak, "dotnet", CliDll, .. args]);
        if (exit != 0) throw new InvalidOperationException($"the memory-measuring Python failed ({exit}): {err}");
        var fields = output.Trim().Split(' ');
        return (int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) / 1024, err);
    }

    public static Process StartCli(params string[] args)
    {
        var psi = Info("dotnet", [CliDll, .. args], null);
        return Process.Start(psi)!;
    }

    public static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutMs = 120_000, string? workingDirectory = null)
    {
        var info = Info(file, args, env);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static ProcessStartInfo Info(string file, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }
}
