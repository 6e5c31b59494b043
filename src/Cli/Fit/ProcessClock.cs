using System.Diagnostics;

namespace Unified.Cli.Fit;

/// <summary>Time since the operating system started this process (runtime start-up included).</summary>
static class ProcessClock
{
    /// <summary>Seconds from process start to now (the start time's resolution is the kernel's clock tick, 10 ms on Linux).</summary>
    public static double SecondsSinceStart()
    {
        using var self = Process.GetCurrentProcess();
        return (DateTime.Now - self.StartTime).TotalSeconds;
    }
}
