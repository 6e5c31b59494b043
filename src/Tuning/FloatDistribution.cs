using System.Globalization;
using System.Text.Json.Nodes;

namespace Unified.Tuning;

/// <summary>A real range, uniform, log-uniform or on a grid of <see cref="Step"/> (Optuna's <c>FloatDistribution</c>).</summary>
public sealed class FloatDistribution : ParameterDistribution
{
    /// <summary>Checks the range; with a step, <paramref name="high"/> is lowered to the last grid point as Optuna does.</summary>
    /// <exception cref="ArgumentException">The range is inverted or not finite, log with a bound ≤ 0, a step ≤ 0, or step with log.</exception>
    public FloatDistribution(double low, double high, bool log = false, double? step = null)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high))
            throw new ArgumentException($"The range [{low}, {high}] is not finite: pass finite bounds.");
        if (low > high)
            throw new ArgumentException($"The range [{low}, {high}] is empty: low must not exceed high (swap them?).");
        if (log && low <= 0)
            throw new ArgumentException($"A log range needs low > 0, got [{low}, {high}]: raise low or pass log: false.");
        if (step is { } s)
        {
            if (log) throw new ArgumentException("A float range cannot have both log and step: pass one of them.");
            if (!(s > 0) || !double.IsFinite(s)) throw new ArgumentException($"The step {s} must be a positive finite number.");
            double span = high - low, points = Math.Floor(span / s + 1e-9);
            high = low + points * s;
        }
        (Low, High, Log, Step) = (low, high, log, step);
    }

    /// <summary>Lower bound, included.</summary>
    public double Low { get; }

    /// <summary>Upper bound, included.</summary>
    public double High { get; }

    /// <summary>Whether values are log-uniform.</summary>
    public bool Log { get; }

    /// <summary>The grid spacing, or null for a continuous range.</summary>
    public double? Step { get; }

    /// <inheritdoc />
    public override object? ToExternal(double internalValue) => internalValue;

    /// <inheritdoc />
    public override double ToInternal(object? value)
    {
        double v = Number(value, "float");
        return Contains(v) ? v : throw new ArgumentException($"Value {v.ToString(CultureInfo.InvariantCulture)} is outside [{Low}, {High}].");
    }

    /// <inheritdoc />
    public override bool Contains(double internalValue)
    {
        if (!(internalValue >= Low && internalValue <= High)) return false;
        if (Step is not { } s) return true;
        double k = (internalValue - Low) / s;
        return Math.Abs(k - Math.Round(k)) < 1e-8;
    }

    /// <inheritdoc />
    public override JsonObject ToJson() => new()
    {
        ["kind"] = "float", ["low"] = Low, ["high"] = High, ["log"] = Log, ["step"] = Step,
    };
}
