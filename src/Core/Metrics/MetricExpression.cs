using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// A value computed from the results of metrics (torchmetrics' <c>CompositionalMetric</c>, Ignite's
/// <c>MetricsLambda</c>): made with arithmetic on metrics or <see cref="Lambda"/>. It holds no state of its own: update,
/// reset and sync its <see cref="Metrics"/> (each once, however often it appears), then <see cref="ComputeTensor"/>.
/// </summary>
/// <example><code>
/// var f1 = 2 * precision * recall / (precision + recall);   // per class with Average.None
/// foreach (var m in f1.Metrics) m.Update(logits, targets);
/// using var perClass = f1.ComputeTensor();
/// </code></example>
public sealed class MetricExpression
{
    readonly Func<Func<Metric, Tensor>, Tensor> evaluate;

    MetricExpression(IEnumerable<Metric> metrics, Func<Func<Metric, Tensor>, Tensor> evaluate) =>
        (Metrics, this.evaluate) = ([.. metrics.Distinct()], evaluate);

    /// <summary>The metrics this value is computed from, each once.</summary>
    public IReadOnlyList<Metric> Metrics { get; }

    /// <summary>A metric's result as an expression.</summary>
    public static implicit operator MetricExpression(Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return new MetricExpression([metric], result => result(metric));
    }

    /// <summary><paramref name="function"/> of the arguments' results, as Ignite's <c>MetricsLambda(f, *args)</c>.</summary>
    /// <example><code>var f1 = MetricExpression.Lambda(r =&gt; 2 * r[0] * r[1] / (r[0] + r[1]), precision, recall);</code></example>
    public static MetricExpression Lambda(Func<Tensor[], Tensor> function, params MetricExpression[] arguments)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Length == 0) throw new ArgumentException("A metric lambda needs at least one metric argument.", nameof(arguments));
        return new MetricExpression(arguments.SelectMany(a => a.Metrics), result => function([.. arguments.Select(a => a.evaluate(result))]));
    }

    /// <summary>The value as a new float64 tensor the caller owns; each metric is computed once.</summary>
    /// <exception cref="InvalidOperationException">A metric was not updated since its last reset.</exception>
    public Tensor ComputeTensor()
    {
        using var scope = NewDisposeScope();
        var results = Metrics.ToDictionary(m => m, m => m.ComputeTensor());
        return evaluate(m => results[m]).to_type(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    /// <summary>The value as a number.</summary>
    /// <exception cref="InvalidOperationException">A metric was not updated, or the value is not a scalar.</exception>
    public double Compute()
    {
        using var value = ComputeTensor();
        return value.numel() == 1 ? value.item<double>()
            : throw new InvalidOperationException($"The expression's result has shape [{string.Join(", ", value.shape)}], not a scalar; call ComputeTensor().");
    }

    static MetricExpression Combine(MetricExpression a, MetricExpression b, Func<Tensor, Tensor, Tensor> op) =>
        new([.. a.Metrics, .. b.Metrics], result => op(a.evaluate(result), b.evaluate(result)));

    static MetricExpression Map(MetricExpression a, Func<Tensor, Tensor> op) => new(a.Metrics, result => op(a.evaluate(result)));

    /// <summary>Sum.</summary>
    public static MetricExpression operator +(MetricExpression a, MetricExpression b) => Combine(a, b, (x, y) => x + y);

    /// <summary>Difference.</summary>
    public static MetricExpression operator -(MetricExpression a, MetricExpression b) => Combine(a, b, (x, y) => x - y);

    /// <summary>Product.</summary>
    public static MetricExpression operator *(MetricExpression a, MetricExpression b) => Combine(a, b, (x, y) => x * y);

    /// <summary>Quotient.</summary>
    public static MetricExpression operator /(MetricExpression a, MetricExpression b) => Combine(a, b, (x, y) => x / y);

    /// <summary>A number times the value.</summary>
    public static MetricExpression operator *(double a, MetricExpression b) => Map(b, x => x * a);

    /// <summary>The value times a number.</summary>
    public static MetricExpression operator *(MetricExpression a, double b) => Map(a, x => x * b);

    /// <summary>The value plus a number.</summary>
    public static MetricExpression operator +(MetricExpression a, double b) => Map(a, x => x + b);

    /// <summary>The value minus a number.</summary>
    public static MetricExpression operator -(MetricExpression a, double b) => Map(a, x => x - b);

    /// <summary>The value divided by a number.</summary>
    public static MetricExpression operator /(MetricExpression a, double b) => Map(a, x => x / b);
}
