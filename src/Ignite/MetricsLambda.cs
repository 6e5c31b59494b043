using Unified.Core.Metrics;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Ignite's <c>MetricsLambda(f, *args)</c>: a value computed by <c>f</c> from the results of other metrics; attach it
/// with <see cref="MetricAttachment.Attach(MetricExpression, Engine, string, Func{object?, ValueTuple{Tensor, Tensor}}?, MetricUsage, Core.Distributed.IProcessGroup?)"/>.
/// Metric arithmetic (<c>2 * precision * recall / (precision + recall)</c>) makes the same kind of value.
/// </summary>
public static class MetricsLambda
{
    /// <summary><paramref name="function"/> of the arguments' results.</summary>
    /// <example><code>MetricsLambda.Create(r =&gt; r[0].mean(), f1PerClass).Attach(evaluator, "f1_macro");</code></example>
    public static MetricExpression Create(Func<Tensor[], Tensor> function, params MetricExpression[] arguments) =>
        MetricExpression.Lambda(function, arguments);
}
