using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Cosine annealing from start to end over each cycle (SGDR), as Ignite's <c>CosineAnnealingScheduler</c>.</summary>
/// <example><code>trainer.On(Events.IterationStarted, new CosineAnnealingScheduler(optimizer, "lr", 1e-2, 1e-4, cycleSize: 100).Handle);</code></example>
public sealed class CosineAnnealingScheduler(optim.Optimizer optimizer, string paramName, double startValue, double endValue, int cycleSize,
    double cycleMult = 1, double startValueMult = 1, double endValueMult = 1)
    : CyclicalScheduler(optimizer, paramName, startValue, endValue, cycleSize, cycleMult, startValueMult, endValueMult)
{
    /// <inheritdoc />
    public override double GetParam() => StartValue + (EndValue - StartValue) / 2 * (1 - Math.Cos(Math.PI * CycleProgress));
}
