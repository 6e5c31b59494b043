using System.Text.Json.Nodes;

namespace Unified.Tuning;

/// <summary>An integer range, uniform or log-uniform, on a grid of <see cref="Step"/> (Optuna's <c>IntDistribution</c>).</summary>
public sealed class IntDistribution : ParameterDistribution
{
    /// <summary>Checks the range; <paramref name="high"/> is lowered to the last grid point as Optuna does.</summary>
    /// <exception cref="ArgumentException">The range is inverted, log with low ≤ 0, a step ≤ 0, or a step other than 1 with log.</exception>
    public IntDistribution(int low, int high, bool log = false, int step = 1)
    {
        if (low > high)
            throw new ArgumentException($"The range [{low}, {high}] is empty: low must not exceed high (swap them?).");
        if (log && low <= 0)
            throw new ArgumentException($"A log range needs low ≥ 1, got [{low}, {high}]: raise low or pass log: false.");
        if (step <= 0) throw new ArgumentException($"The step {step} must be a positive integer.");
        if (log && step != 1) throw new ArgumentException("An integer log range needs step 1: pass one of log and step.");
        high = low + (high - low) / step * step;
        (Low, High, Log, Step) = (low, high, log, step);
    }

    /// <summary>Lower bound, included.</summary>
    public int Low { get; }

    /// <summary>Upper bound, included.</summary>
    public int High { get; }

    /// <summary>Whether values are log-uniform.</summary>
    public bool Log { get; }

    /// <summary>The grid spacing.</summary>
    public int Step { get; }

    /// <inheritdoc />
    public override object? ToExternal(double internalValue) => (int)Math.Round(internalValue);

    /// <inheritdoc />
    public override double ToInternal(object? value)
    {
        double v = Number(value, "int");
        return Contains(v) ? v : throw new ArgumentException($"Value {v} is outside [{Low}, {High}] (step {Step}).");
    }

    /// <inheritdoc />
    public override bool Contains(double internalValue) =>
        internalValue >= Low && internalValue <= High && internalValue == Math.Round(internalValue) && ((long)internalValue - Low) % Step == 0;

    /// <inheritdoc />
    public override JsonObject ToJson() => new() { ["kind"] = "int", ["low"] = Low, ["high"] = High, ["log"] = Log, ["step"] = Step };
}
