using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Tools;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash verify STORE [--deep] [--repair]</c>: check every record; exit 0 when clean, 1 when damaged.</summary>
internal sealed class VerifyCommand(AppConsole console) : Command<VerifyCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandOption("--deep")]
        [Description("Also read every image and check its pixels (CRC-32, PNG checksums).")]
        public bool Deep { get; init; }

        [CommandOption("--repair")]
        [Description("First open the store for writing, which rolls back a commit a stopped writer left unfinished (reading never does).")]
        public bool Repair { get; init; }

        [CommandOption("--in-process")]
        [Description("Check in this process (by default a child process does, so a native crash on a damaged file is reported, not suffered).")]
        public bool InProcess { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // LMDB and libhdf5 trust their files: some damage makes them read wild pointers and the process dies of a
        // signal (found by fuzzing). So the check runs in a child process and a signal becomes a finding.
        if (!settings.InProcess && ChildCommand() is { } child)
        {
            var psi = new System.Diagnostics.ProcessStartInfo(child.File) { UseShellExecute = false };
            foreach (string a in child.Args) psi.ArgumentList.Add(a);
            foreach (string a in context.Arguments) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("--in-process");
            psi.Environment[ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var process = System.Diagnostics.Process.Start(psi)!;
            process.WaitForExit();
            if (process.ExitCode is ImageStashApp.Ok or ImageStashApp.Failed or ImageStashApp.Usage) return process.ExitCode;
            console.WriteLine($"store '{settings.Store}' is damaged: reading it crashed the native store library (exit {process.ExitCode}{Signal(process.ExitCode)}); restore it from a copy.");
            return ImageStashApp.Failed;
        }
        DieWithParent();
        if (settings.Repair)
            using (Stores.For(settings).Open(settings.Store, new StoreOptions { Mode = StoreOpenMode.Open, Format = settings.Format })) { }
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        var report = console.WithProgress("verify", store.Count, "images", p => StoreVerifier.Verify(store, settings.Deep, p, cancellationToken));
        foreach (var problem in report.Problems)
            console.WriteLine(problem.Id is { } id ? $"id {id}: {problem.Reason}" : problem.Reason);
        string scope = report.Deep ? "headers, labels and pixels" : "headers and labels (add --deep to check pixels)";
        console.WriteLine(report.Clean
            ? $"{store.Format} store '{store.Path}': {report.Checked:N0} images, {scope}: clean."
            : $"{store.Format} store '{store.Path}': {report.Checked:N0} images, {report.Problems.Count:N0} problem(s) listed above.");
        return report.Clean ? ImageStashApp.Ok : ImageStashApp.Failed;
    }

    /// <summary>Names the parent verify process in its child's environment.</summary>
    private const string ParentVariable = "IMAGESTASH_VERIFY_PARENT";

    /// <summary>
    /// In the child of a verify: asks the kernel to kill this process when its parent dies (PR_SET_PDEATHSIG), so a
    /// killed verify leaves nothing running; and exits if the parent is already gone (it died before the request).
    /// </summary>
    private static void DieWithParent()
    {
        if (!OperatingSystem.IsLinux() || !int.TryParse(Environment.GetEnvironmentVariable(ParentVariable), out int parent)) return;
        const int PR_SET_PDEATHSIG = 1, SIGKILL = 9;
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) Environment.Exit(ImageStashApp.Failed);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int getppid();

    /// <summary>How to start this tool again: the app itself, or dotnet with this assembly; null when hosted elsewhere (tests).</summary>
    private static (string File, string[] Args)? ChildCommand()
    {
        if (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name != "ImageStash.Cli" || Environment.ProcessPath is not { } host) return null;
        string self = typeof(VerifyCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? (host, [self]) : (host, []);
    }

    private static string Signal(int exitCode) => exitCode switch
    {
        134 => ", SIGABRT",
        135 => ", SIGBUS",
        139 => ", SIGSEGV",
        _ => "",
    };
}
