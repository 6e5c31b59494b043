namespace Unified.Cli.Bench;

/// <summary>
/// The hand-written PyTorch loop (<c>scripts/bench_pytorch.py</c>) beside <c>unified fit --threads 1</c>, median
/// seconds of interleaved child runs, each timing its own fit (data loaded, imports and JIT start-up excluded); also
/// <c>unified fit --threads 1 --fused</c> (Adam through libtorch's fused kernel) as <see cref="UnifiedFusedSeconds"/>.
/// </summary>
public sealed record PytorchComparison(double PytorchSeconds, double UnifiedSeconds, double Ratio, string TorchVersion, string Blas,
    double PytorchValAccuracy, double UnifiedValAccuracy, double UnifiedFusedSeconds, double FusedRatio);
