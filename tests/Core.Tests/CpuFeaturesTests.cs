using Unified.Core.Accelerators;
using Unified.Core.Diagnostics;
using Unified.Core.Numerics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// <see cref="CpuFeatures"/> on /proc/cpuinfo texts, and the precision warnings it drives. epyc-avx2.txt is the
/// cpuinfo of the 2-core AMD EPYC (AVX2, no AVX-512) where bf16-mixed measured x0.15 (MLP) and x0.18 (CNN) of 32-true.
/// </summary>
[Collection("Torch")]
public sealed class CpuFeaturesTests
{
    static readonly string Avx2 = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cpuinfo", "epyc-avx2.txt"));

    // The flags a Zen 4 EPYC (Genoa) reports, AVX512-BF16 among them.
    const string Zen4 = "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu sse sse2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vnni\n";

    // An Arm server's cpuinfo has a Features line, no flags.
    const string Arm = "processor\t: 0\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics bf16\n";

    [Fact]
    public void AnAvx2Cpu_HasNoNativeBFloat16()
    {
        var cpu = CpuFeatures.Parse(Avx2);

        Assert.False(cpu.NativeBFloat16);
        Assert.Equal("AVX2", cpu.VectorWidth);
        Assert.Contains("fma", cpu.X86Flags!);
    }

    [Fact]
    public void AnAvx512Bf16Cpu_HasNativeBFloat16()
    {
        var cpu = CpuFeatures.Parse(Zen4);

        Assert.True(cpu.NativeBFloat16);
        Assert.Equal("AVX-512", cpu.VectorWidth);
    }

    [Fact]
    public void WithoutX86Flags_BFloat16SupportIsUnknown()
    {
        var cpu = CpuFeatures.Parse(Arm);

        Assert.Null(cpu.NativeBFloat16);
        Assert.Null(cpu.VectorWidth);
    }

    [Theory]
    [InlineData("bf16-mixed")]
    [InlineData("bf16-true")]
    public void Bf16OnACpuWithoutIt_WarnsToUse32True(string precision)
    {
        var warnings = Capture(() => PrecisionPlugins.Create(precision, CPU, CpuFeatures.Parse(Avx2)).Dispose());

        string warning = Assert.Single(warnings);
        Assert.Contains(precision, warning);
        Assert.Contains("'32-true'", warning);
    }

    [Theory]
    [InlineData(Zen4)]
    [InlineData(Arm)]
    public void Bf16OnACpuWithItOrUnknown_DoesNotWarn(string cpuinfo)
    {
        Assert.Empty(Capture(() => PrecisionPlugins.Create("bf16-mixed", CPU, CpuFeatures.Parse(cpuinfo)).Dispose()));
    }

    [Fact]
    public void SixteenMixedOnACpuWithoutBf16_DoesNotRecommendBf16()
    {
        string avx2 = Assert.Single(Capture(() => PrecisionPlugins.Create("16-mixed", CPU, CpuFeatures.Parse(Avx2)).Dispose()));
        string zen4 = Assert.Single(Capture(() => PrecisionPlugins.Create("16-mixed", CPU, CpuFeatures.Parse(Zen4)).Dispose()));

        Assert.DoesNotContain("bf16-mixed", avx2);
        Assert.Contains("'32-true'", avx2);
        Assert.Contains("bf16-mixed", zen4);
    }

    static List<string> Capture(Action action)
    {
        var warnings = new List<string>();
        var sink = Warnings.Sink;
        Warnings.Sink = warnings.Add;
        try { action(); }
        finally { Warnings.Sink = sink; }
        return warnings;
    }
}
