using System.Diagnostics.CodeAnalysis;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Accelerators;

/// <summary>The hardware a run uses: <c>cpu</c>, <c>cuda</c> or <c>auto</c> (CUDA when available, else CPU).</summary>
public sealed class Accelerator
{
    /// <summary>The names <see cref="Resolve"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "auto"];

    Accelerator(string name, Device device, int deviceCount) => (Name, Device, DeviceCount) = (name, device, deviceCount);

    /// <summary>The resolved name: <c>cpu</c> or <c>cuda</c>.</summary>
    public string Name { get; }

    /// <summary>The device that model, batches and metrics live on.</summary>
    public Device Device { get; }

    /// <summary>How many devices of this kind the host has.</summary>
    public int DeviceCount { get; }

    /// <summary>Resolves an accelerator name; an unknown name or an unavailable CUDA is an error that says what to do.</summary>
    /// <example><code>var device = Accelerator.Resolve("auto").Device;</code></example>
    public static Accelerator Resolve(string name)
    {
        ThrowIfUnknown(name, nameof(name));
        switch (name.Trim().ToLowerInvariant())
        {
            case "cpu":
                return new Accelerator("cpu", CPU, 1);
            case "cuda":
                if (!cuda.is_available())
                    throw new InvalidOperationException(
                        "Accelerator 'cuda' was requested but CUDA is not available: this build uses the CPU libtorch package "
                        + "or no GPU is visible. Build with -p:UnifiedTorchBackend=cuda on a GPU host, or use 'cpu' or 'auto'.");
                return new Accelerator("cuda", CUDA, cuda.device_count());
            default: // "auto"
                return Resolve(cuda.is_available() ? "cuda" : "cpu");
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> for <paramref name="paramName"/> unless <paramref name="name"/> is one of <see cref="Names"/> (any case).</summary>
    public static void ThrowIfUnknown([NotNull] string? name, string paramName)
    {
        if (name is null || !Names.Contains(name.Trim().ToLowerInvariant()))
            throw new ArgumentException($"Unknown accelerator '{name}'. Valid values: {string.Join(", ", Names)}.", paramName);
    }
}
