namespace Unified.Core.Metrics;

public abstract partial class Metric
{
    /// <summary>The sum of two metrics' results (element-wise for per-class results), as torchmetrics' and Ignite's metric arithmetic.</summary>
    public static MetricExpression operator +(Metric left, Metric right) => (MetricExpression)left + right;

    /// <summary>The difference of two metrics' results.</summary>
    public static MetricExpression operator -(Metric left, Metric right) => (MetricExpression)left - right;

    /// <summary>The product of two metrics' results.</summary>
    /// <example><code>var f1 = 2 * precision * recall / (precision + recall);</code></example>
    public static MetricExpression operator *(Metric left, Metric right) => (MetricExpression)left * right;

    /// <summary>The quotient of two metrics' results.</summary>
    public static MetricExpression operator /(Metric left, Metric right) => (MetricExpression)left / right;

    /// <summary>A number times a metric's result.</summary>
    public static MetricExpression operator *(double left, Metric right) => left * (MetricExpression)right;

    /// <summary>A metric's result times a number.</summary>
    public static MetricExpression operator *(Metric left, double right) => (MetricExpression)left * right;

    /// <summary>A metric's result plus a number.</summary>
    public static MetricExpression operator +(Metric left, double right) => (MetricExpression)left + right;

    /// <summary>A metric's result divided by a number.</summary>
    public static MetricExpression operator /(Metric left, double right) => (MetricExpression)left / right;
}
