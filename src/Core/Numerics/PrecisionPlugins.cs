using System.Diagnostics.CodeAnalysis;
using Unified.Core.Accelerators;
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
    public static PrecisionPlugin Create(string name, Device device) => Create(name, device, CpuFeatures.Current);

    internal static PrecisionPlugin Create(string name, Device device, CpuFeatures cpu)
    {
        ThrowIfUnknown(name, nameof(name));
        bool onCpu = device.type == TorchSharp.DeviceType.CPU;
        return name.ToLowerInvariant() switch
        {
            "bf16-mixed" => WarnIfEmulated(new MixedPrecision("bf16-mixed", ScalarType.BFloat16, scaler: null), onCpu, cpu),
            "16-mixed" => WarnIfCpu(new MixedPrecision("16-mixed", ScalarType.Float16, new GradScaler()), onCpu, cpu),
            "bf16-true" => WarnIfEmulated(new TruePrecision("bf16-true", ScalarType.BFloat16), onCpu, cpu),
            "16-true" => WarnIfCpu(new TruePrecision("16-true", ScalarType.Float16), onCpu, cpu),
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

    static PrecisionPlugin WarnIfCpu(PrecisionPlugin plugin, bool onCpu, CpuFeatures cpu)
    {
        // Measured on this project's CPUs: a 1024x1024 fp16 matmul runs at ~0.9 GFLOP/s against ~49 in fp32.
        if (onCpu)
            Diagnostics.Warnings.Warn($"Precision '{plugin.Name}' on CPU is typically 10-50x SLOWER than 32-true: CPUs have no fast float16 " +
                (cpu.NativeBFloat16 == false
                    ? "kernels, and this one has no native bf16 either. Use '32-true' here, or run '16-mixed' on a CUDA device."
                    : "kernels. Use 'bf16-mixed' for a CPU speed-up, or run '16-mixed' on a CUDA device."));
        return plugin;
    }

    static PrecisionPlugin WarnIfEmulated(PrecisionPlugin plugin, bool onCpu, CpuFeatures cpu)
    {
        // Measured on a 2-core AMD EPYC with AVX2 only: bf16-mixed epochs x0.15 (MLP) and x0.18 (CNN) of 32-true.
        if (onCpu && cpu.NativeBFloat16 == false)
            Diagnostics.Warnings.Warn($"Precision '{plugin.Name}' on this CPU is several times SLOWER than 32-true: it has no native bf16 " +
                "(AVX512-BF16, AMX or AVX-NE-CONVERT), so libtorch emulates it. Use '32-true' here, or a CPU or GPU with bf16.");
        return plugin;
    }
}
