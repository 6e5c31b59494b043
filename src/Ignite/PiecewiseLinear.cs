using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Linear interpolation between (event index, value) milestones, constant outside them, as Ignite's <c>PiecewiseLinear</c>.</summary>
/// <example><code>new PiecewiseLinear(optimizer, "lr", [(0, 0.0), (10, 1e-2), (100, 1e-4)]);</code></example>
public sealed class PiecewiseLinear : ParamScheduler
{
    readonly (long Milestone, double Value)[] points;

    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentException">No milestones, or milestones that decrease.</exception>
    public PiecewiseLinear(optim.Optimizer optimizer, string paramName, IReadOnlyList<(long Milestone, double Value)> milestonesValues) : base(optimizer, paramName)
    {
        ArgumentNullException.ThrowIfNull(milestonesValues);
        if (milestonesValues.Count == 0) throw new ArgumentException("PiecewiseLinear needs at least one (milestone, value) pair.", nameof(milestonesValues));
        for (int i = 1; i < milestonesValues.Count; i++)
            if (milestonesValues[i].Milestone < milestonesValues[i - 1].Milestone)
                throw new ArgumentException($"Milestones must not decrease: {milestonesValues[i].Milestone} follows {milestonesValues[i - 1].Milestone}.", nameof(milestonesValues));
        points = [.. milestonesValues];
    }

    /// <inheritdoc />
    public override double GetParam()
    {
        long t = EventIndex;
        if (t < points[0].Milestone) return points[0].Value;
        if (t >= points[^1].Milestone) return points[^1].Value;
        int i = Array.FindLastIndex(points, p => p.Milestone <= t);
        var ((m0, v0), (m1, v1)) = (points[i], points[i + 1]);
        return v0 + (v1 - v0) * (t - m0) / (m1 - m0);
    }
}
