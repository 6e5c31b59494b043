namespace Unified.Core.Runtime;

/// <summary>Process-wide settings applied once by <see cref="TorchRuntime.Initialize"/>.</summary>
public sealed class RuntimeOptions
{
    /// <summary>
    /// Keep glibc from mapping and unmapping libtorch's per-step buffers (see <see cref="MallocTuning"/>).
    /// Default true; the environment variable <c>UNIFIED_MALLOC_TUNING=0</c> also turns it off.
    /// </summary>
    public bool TuneMalloc { get; set; } = true;

    /// <summary>Intra-op threads for libtorch; null keeps libtorch's default (one per core).</summary>
    public int? Threads { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (Threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1 (or null for libtorch's default).");
    }
}
