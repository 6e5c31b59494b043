using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// A schedule that cycles between <c>startValue</c> and <c>endValue</c> over <c>cycleSize</c> events, as Ignite's
/// <c>CyclicalScheduler</c>; after each cycle the cycle length is multiplied by <c>cycleMult</c> and the values by
/// <c>startValueMult</c> / <c>endValueMult</c>.
/// </summary>
public abstract class CyclicalScheduler : ParamScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cycleSize"/> is below 2.</exception>
    protected CyclicalScheduler(optim.Optimizer optimizer, string paramName, double startValue, double endValue, int cycleSize,
        double cycleMult = 1, double startValueMult = 1, double endValueMult = 1) : base(optimizer, paramName)
    {
        if (cycleSize < 2) throw new ArgumentOutOfRangeException(nameof(cycleSize), cycleSize, "cycleSize must be larger than 1.");
        (StartValue, EndValue, CycleSize, CycleMult, StartValueMult, EndValueMult) = (startValue, endValue, cycleSize, cycleMult, startValueMult, endValueMult);
    }

    /// <summary>The value at the start of the current cycle.</summary>
    public double StartValue { get; private set; }

    /// <summary>The value at the middle (linear) or end (cosine) of the current cycle.</summary>
    public double EndValue { get; private set; }

    /// <summary>Events in the current cycle.</summary>
    public int CycleSize { get; private set; }

    /// <summary>Cycles completed.</summary>
    public int Cycle { get; private set; }

    double CycleMult { get; }

    double StartValueMult { get; }

    double EndValueMult { get; }

    /// <summary>Progress through the current cycle, in [0, 1).</summary>
    protected double CycleProgress => (double)EventIndex / CycleSize;

    /// <inheritdoc />
    public override void Handle(Engine engine)
    {
        // ignite/handlers/param_scheduler.py CyclicalScheduler.__call__ (without warm-up).
        if (EventIndex != 0 && EventIndex == CycleSize)
        {
            StartValue *= StartValueMult;
            EventIndex = 0;
            CycleSize = (int)(CycleSize * CycleMult);
            Cycle++;
            EndValue *= EndValueMult;
        }
        base.Handle(engine);
    }

    /// <inheritdoc />
    public override StateDict StateDict()
    {
        var state = base.StateDict();
        (state.Values["start_value"], state.Values["end_value"], state.Values["cycle_size"], state.Values["cycle"]) = (StartValue, EndValue, CycleSize, Cycle);
        return state;
    }

    /// <inheritdoc />
    public override void LoadStateDict(StateDict state)
    {
        base.LoadStateDict(state);
        (StartValue, EndValue, CycleSize, Cycle) = (state.Value<double>("start_value"), state.Value<double>("end_value"), state.Value<int>("cycle_size"), state.Value<int>("cycle"));
    }
}
