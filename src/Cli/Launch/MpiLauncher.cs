using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Unified.Core.Distributed;
using Unified.Core.Runtime;

namespace Unified.Cli.Launch;

/// <summary>
/// Starts this program again as N ranks under <c>mpirun</c> (as Lightning's launcher re-runs the script): the ranks
/// get the malloc settings and a thread count, their output is copied through, and mpirun's exit code is returned.
/// SIGTERM and Ctrl+C reach the ranks as SIGUSR1, which mpirun forwards to every rank (it would answer SIGTERM by
/// killing them): they stop together at the next batch and exit with <see cref="ExitCodes.Interrupted"/>.
/// </summary>
public static class MpiLauncher
{
    /// <summary>
    /// Variables every rank gets: the malloc settings (see <see cref="MallocTuning"/>), Unified's own when set, and
    /// <c>TERM=dumb</c> (mpirun gives ranks a pseudo-terminal, and .NET would start their output with terminal escapes).
    /// </summary>
    public static IReadOnlyDictionary<string, string> RankEnvironment()
    {
        var environment = new Dictionary<string, string>(MallocTuning.Enabled ? MallocTuning.EnvironmentVariables : new Dictionary<string, string>()) { ["TERM"] = "dumb" };
        foreach (string name in new[] { ProcessGroupOptions.TimeoutVariable, UnifiedCli.TraceVariable, MallocTuning.SwitchVariable })
            if (Environment.GetEnvironmentVariable(name) is { } value) environment[name] = value;
        return environment;
    }

    /// <summary>
    /// Runs <c>mpirun -np <paramref name="ranks"/> unified <paramref name="args"/></c>, copying the ranks' output to
    /// <paramref name="output"/> and <paramref name="error"/>; returns mpirun's exit code (non-zero when any rank failed).
    /// </summary>
    /// <exception cref="InvalidOperationException">mpirun is not installed.</exception>
    public static int Run(int ranks, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var start = new ProcessStartInfo(FindMpirun()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in Arguments(ranks, RankEnvironment())) start.ArgumentList.Add(arg);
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's executable to start the ranks.");
        start.ArgumentList.Add(host);
        // Under 'dotnet unified.dll' the host is dotnet itself and the program is the entry assembly.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(MpiLauncher).Assembly.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in RankEnvironment()) start.Environment[key] = value;

        using var mpirun = Process.Start(start) ?? throw new InvalidOperationException("Could not start mpirun.");
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward(mpirun));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward(mpirun));
        var copyError = Task.Run(() => Copy(mpirun.StandardError, error));
        Copy(mpirun.StandardOutput, output);
        copyError.Wait();
        mpirun.WaitForExit();
        return mpirun.ExitCode;
    }

    /// <summary>mpirun's own options for <paramref name="ranks"/> local ranks with <paramref name="environment"/> exported (<c>-x</c>).</summary>
    public static IEnumerable<string> Arguments(int ranks, IReadOnlyDictionary<string, string> environment)
    {
        yield return "-np";
        yield return ranks.ToString(CultureInfo.InvariantCulture);
        // More ranks than cores is allowed (and makes MPI yield while waiting); no pinning, the cores are shared.
        yield return "--oversubscribe";
        yield return "--bind-to";
        yield return "none";
        if (IsRoot()) yield return "--allow-run-as-root";
        // The ranks report their own failure in one line; mpirun's help text about non-zero exits would bury it.
        yield return "--quiet";
        foreach (string name in environment.Keys)
        {
            yield return "-x";
            yield return name;
        }
    }

    /// <summary>Intra-op threads per rank when none were asked for: the cores divided among the ranks on this machine.</summary>
    public static int ThreadsPerRank(int localRanks) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, localRanks));

    /// <summary>The mpirun on PATH.</summary>
    /// <exception cref="InvalidOperationException">Open MPI is not installed.</exception>
    public static string FindMpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("--devices needs Open MPI's mpirun, which is not on PATH: install it (Debian/Ubuntu: 'apt-get install openmpi-bin libopenmpi-dev'), or run with --devices 1.");

    /// <summary>The signal the ranks treat as a request to stop (SIGUSR1 on Linux; mpirun forwards it to every rank).</summary>
    public static PosixSignal StopSignal => (PosixSignal)SigUsr1;

    static Action<PosixSignalContext> Forward(Process mpirun)
    {
        int received = 0;
        return context =>
        {
            context.Cancel = true; // wait for the ranks to stop together and report
            // First signal: ask the ranks to stop together; a second one: let mpirun end them now.
            if (!mpirun.HasExited) kill(mpirun.Id, Interlocked.Increment(ref received) == 1 ? SigUsr1 : SigTerm);
        };
    }

    static void Copy(StreamReader from, TextWriter to)
    {
        while (from.ReadLine() is { } line)
        {
            to.WriteLine(line);
            to.Flush();
        }
    }

    static bool IsRoot() => OperatingSystem.IsLinux() && geteuid() == 0;

    const int SigUsr1 = 10, SigTerm = 15;

    [DllImport("libc.so.6", SetLastError = true)]
    static extern int kill(int pid, int signal);

    [DllImport("libc.so.6")]
    static extern uint geteuid();
}
