using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Linear up-and-down cycles, as Ignite's <c>LinearCyclicalScheduler</c>: start → end at mid-cycle → start.</summary>
/// <example><code>trainer.On(Events.IterationStarted, new LinearCyclicalScheduler(optimizer, "lr", 1e-3, 1e-1, cycleSize: 20).Handle);</code></example>
public sealed class LinearCyclicalScheduler(optim.Optimizer optimizer, string paramName, double startValue, double endValue, int cycleSize,
    double cycleMult = 1, double startValueMult = 1, double endValueMult = 1)
    : CyclicalScheduler(optimizer, paramName, startValue, endValue, cycleSize, cycleMult, startValueMult, endValueMult)
{
    /// <inheritdoc />
    public override double GetParam() => EndValue + (StartValue - EndValue) * Math.Abs(CycleProgress - 0.5) * 2;
}
