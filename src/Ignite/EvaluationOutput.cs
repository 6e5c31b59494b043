using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>An evaluator's output per batch, as Ignite's <c>(y_pred, y)</c>: owns <see cref="Prediction"/>; <see cref="Target"/> belongs to the batch.</summary>
public sealed record EvaluationOutput(Tensor Prediction, Tensor Target) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Prediction.Dispose();
}
