using System.Diagnostics;

namespace Unified.Samples.Scenarios;

/// <summary>
/// Multi-node data parallelism is plain Open MPI: a hostfile names the machines and their slots, and every node runs the
/// same program. This writes a hostfile and prints the command; <c>--launch</c> runs it (all nodes need the same build at the
/// same path and password-less ssh between them). <c>--hosts a,b</c> names the nodes (default: two slots on localhost).
/// </summary>
public static class MultiNode
{
    public static int Run(SampleOptions options)
    {
        string[] hosts = (options.Value("--hosts") ?? "localhost").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int slotsPerHost = hosts.Length == 1 ? 2 : 1;
        string hostfile = Path.Combine(options.WorkDir, "hostfile");
        File.WriteAllLines(hostfile, hosts.Select(h => $"{h} slots={slotsPerHost}"));
        int ranks = hosts.Length * slotsPerHost;
        string cli = Path.Combine(AppContext.BaseDirectory, "unified.dll");
        string[] command =
        [
            "mpirun", "--hostfile", hostfile, "-np", ranks.ToString(), "--bind-to", "none", "-x", "UNIFIED_DIST_TIMEOUT",
            "dotnet", cli, "fit", "--json", "--max-steps", options.Smoke ? "5" : "375", "--run-dir", Path.Combine(options.WorkDir, "run"),
        ];
        Console.WriteLine($"hostfile {hostfile}:");
        foreach (string line in File.ReadAllLines(hostfile)) Console.WriteLine($"  {line}");
        Console.WriteLine("every rank of every node trains its shard; rank 0 (the first host) writes the run folder:");
        Console.WriteLine("  " + string.Join(' ', command));
        if (!options.Has("--launch")) return 0;
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        if (Environment.UserName == "root") start.ArgumentList.Insert(1, "--allow-run-as-root");
        start.Environment["UNIFIED_DIST_TIMEOUT"] = "120";
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
