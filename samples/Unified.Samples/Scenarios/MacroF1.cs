using Unified.Core.Metrics;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>
/// A hand-written metric: macro F1 over <c>classes</c> from per-class true-positive, false-positive and false-negative
/// counts. States added with AddState are summed across ranks by Sync, saved in checkpoints and cleared by Reset.
/// </summary>
public sealed class MacroF1 : Metric
{
    readonly MetricState truePositives, falsePositives, falseNegatives;
    readonly int classes;

    public MacroF1(int classes)
    {
        this.classes = classes;
        truePositives = AddState("tp", [classes]);
        falsePositives = AddState("fp", [classes]);
        falseNegatives = AddState("fn", [classes]);
    }

    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var predicted = nn.functional.one_hot(predictions.argmax(1), classes).to_type(ScalarType.Float32);
        var actual = nn.functional.one_hot(targets, classes).to_type(ScalarType.Float32);
        // sum(dim: 0), not sum(0): a literal 0 converts to the ScalarType overload and sums everything.
        var hits = (predicted * actual).sum(dim: 0);
        truePositives.Add(hits);
        falsePositives.Add(predicted.sum(dim: 0) - hits);
        falseNegatives.Add(actual.sum(dim: 0) - hits);
    }

    protected override Tensor ComputeState()
    {
        var denominator = 2 * truePositives.Value + falsePositives.Value + falseNegatives.Value;
        return where(denominator > 0, 2 * truePositives.Value / denominator.clamp_min(1), zeros_like(denominator)).mean();
    }
}
