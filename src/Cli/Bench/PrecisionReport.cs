namespace Unified.Cli.Bench;

/// <summary>
/// The result of <c>unified bench precision</c>: per model, medians over interleaved rounds; <paramref name="NativeBf16"/>
/// says whether the CPU computes bf16 natively (<see cref="Unified.Core.Accelerators.CpuFeatures.NativeBFloat16"/>).
/// </summary>
public sealed record PrecisionReport(PrecisionTiming Mlp, PrecisionTiming Cnn, int Rounds, int Threads, int BatchSize, bool Fused, bool? NativeBf16);

/// <summary>Seconds per training epoch of one model: hand-written fp32 loop, Lightning in 32-true and in bf16-mixed.</summary>
/// <param name="RawSeconds">The hand-written TorchSharp loop, fp32.</param>
/// <param name="Fp32Seconds">The Lightning front-end, <c>32-true</c>.</param>
/// <param name="Bf16MixedSeconds">The Lightning front-end, <c>bf16-mixed</c>.</param>
/// <param name="Bf16Speedup"><paramref name="Fp32Seconds"/> / <paramref name="Bf16MixedSeconds"/>.</param>
public sealed record PrecisionTiming(double RawSeconds, double Fp32Seconds, double Bf16MixedSeconds, double Bf16Speedup);
