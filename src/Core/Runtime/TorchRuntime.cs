using TorchSharp;

namespace Unified.Core.Runtime;

/// <summary>
/// Process start-up for libtorch: allocator tuning, thread count and a native-load check with an actionable error.
/// Call <see cref="Initialize"/> first thing (trainers and engines call it too; later calls only update threads).
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool initialized;

    /// <summary>Whether <see cref="MallocTuning"/> was applied by <see cref="Initialize"/>.</summary>
    public static bool MallocTuned { get; private set; }

    /// <summary>Prepares libtorch for training in this process. Idempotent.</summary>
    /// <example><code>TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });</code></example>
    public static void Initialize(RuntimeOptions? options = null)
    {
        options ??= new RuntimeOptions();
        options.Validate();
        lock (Gate)
        {
            if (!initialized)
            {
                // Before the first tensor, so that libtorch's buffers come from the tuned heap.
                if (options.TuneMalloc && MallocTuning.Enabled)
                    MallocTuned = MallocTuning.Apply();
                EnsureNativeLoaded();
                initialized = true;
            }
            if (options.Threads is int threads) torch.set_num_threads(threads);
        }
    }

    /// <summary>Loads libtorch's CPU backend, turning a loader failure into a message that says how to fix it.</summary>
    public static void EnsureNativeLoaded()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            string detail = Innermost(e).Message;
            string fix = detail.Contains("GLIBCXX", StringComparison.Ordinal)
                ? "Your libstdc++ is older than GCC 13. Rebuild with 'dotnet build' so that Unified marks TorchSharp's "
                  + "GLIBCXX_3.4.32 requirement weak (README, Troubleshooting), or install a GCC 13+ libstdc++."
                : "Check that the TorchSharp-cpu (or -cuda) package restored and that its native files are next to the app.";
            throw new InvalidOperationException($"TorchSharp's native library failed to load: {detail} {fix}", e);
        }
    }

    static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
