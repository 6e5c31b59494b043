namespace Unified.Core.Diagnostics;

/// <summary>Resident memory of this process, native allocations (libtorch) included.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size in MiB (Linux <c>VmHWM</c>; elsewhere the managed view of the process).</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    /// <summary>Current resident set size in MiB.</summary>
    public static double CurrentRssMb() => ReadStatusKb("VmRSS:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    static long? ReadStatusKb(string key)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        return null;
    }
}
