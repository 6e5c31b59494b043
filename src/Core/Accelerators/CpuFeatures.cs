namespace Unified.Core.Accelerators;

/// <summary>
/// The instruction-set flags of this machine's CPU (the <c>flags</c> line of Linux's <c>/proc/cpuinfo</c>), read once:
/// enough to tell whether bf16 matmuls and convolutions run natively or through oneDNN's slow emulation.
/// </summary>
public sealed class CpuFeatures
{
    // oneDNN's native bf16 paths: avx512_core_bf16, avx2_vnni_2 (AVX-NE-CONVERT) and AMX.
    static readonly string[] BFloat16Flags = ["avx512_bf16", "amx_bf16", "avx_ne_convert"];
    static readonly Lazy<CpuFeatures> current = new(() => File.Exists("/proc/cpuinfo") ? Parse(File.ReadAllText("/proc/cpuinfo")) : new CpuFeatures(null));

    CpuFeatures(IReadOnlySet<string>? x86Flags) => X86Flags = x86Flags;

    /// <summary>This machine's CPU.</summary>
    public static CpuFeatures Current => current.Value;

    /// <summary>The x86 flags, or null when the CPU is not x86 or the flags are unknown.</summary>
    public IReadOnlySet<string>? X86Flags { get; }

    /// <summary>
    /// Whether the CPU computes bf16 natively: false only for an x86 CPU without AVX512-BF16, AMX-BF16 or
    /// AVX-NE-CONVERT (where <c>bf16-mixed</c> runs several times slower than <c>32-true</c>), null when unknown.
    /// </summary>
    public bool? NativeBFloat16 => X86Flags is null ? null : BFloat16Flags.Any(X86Flags.Contains);

    /// <summary>The widest vector extension, as a benchmark report names the machine: AVX-512, AVX2, AVX, SSE, or null.</summary>
    public string? VectorWidth => X86Flags is null ? null
        : X86Flags.Contains("avx512f") ? "AVX-512" : X86Flags.Contains("avx2") ? "AVX2" : X86Flags.Contains("avx") ? "AVX" : "SSE";

    /// <summary>Reads the first processor's <c>flags</c> line of a <c>/proc/cpuinfo</c> text.</summary>
    public static CpuFeatures Parse(string cpuinfo)
    {
        string? line = cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(':'));
        return new CpuFeatures(line?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }
}
