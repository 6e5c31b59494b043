using System.Text.Json.Nodes;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// Dynamic loss scaling with PyTorch's <c>GradScaler</c> semantics and defaults: the loss is multiplied by
/// <see cref="Scale"/>; before the optimiser step gradients are unscaled and checked (one host sync); a step with a
/// non-finite gradient is skipped and the scale multiplied by <see cref="BackoffFactor"/>; after
/// <see cref="GrowthInterval"/> finite steps in a row it is multiplied by <see cref="GrowthFactor"/>.
/// </summary>
public sealed class GradScaler : IStateful
{
    /// <summary>Creates a scaler; the defaults are PyTorch's.</summary>
    public GradScaler(double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initScale > 0 && double.IsFinite(initScale))) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "The initial scale must be a positive finite number.");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "The growth factor must be greater than 1.");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "The back-off factor must be between 0 and 1.");
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "The growth interval must be at least 1 step.");
        (Scale, GrowthFactor, BackoffFactor, GrowthInterval) = (initScale, growthFactor, backoffFactor, growthInterval);
    }

    /// <summary>The current loss scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Multiplier after <see cref="GrowthInterval"/> finite steps.</summary>
    public double GrowthFactor { get; }

    /// <summary>Multiplier after a non-finite step.</summary>
    public double BackoffFactor { get; }

    /// <summary>Finite steps in a row before the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>Finite steps since the scale last changed.</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>The loss times the scale.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>Divides every gradient by the scale in place; true when all of them are finite (one host sync).</summary>
    public bool Unscale(IEnumerable<Tensor> gradients)
    {
        using var scope = NewDisposeScope();
        var finite = new List<Tensor>();
        foreach (var gradient in gradients)
        {
            gradient.mul_(1.0 / Scale);
            finite.Add(gradient.isfinite().all());
        }
        return finite.Count == 0 || stack(finite).all().item<bool>();
    }

    /// <summary>Adjusts the scale after a step that was taken (<paramref name="foundInf"/> false) or skipped.</summary>
    public void Update(bool foundInf)
    {
        if (foundInf)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
        }
        else if (++GrowthTracker == GrowthInterval)
        {
            Scale *= GrowthFactor;
            GrowthTracker = 0;
        }
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["scale"] = Scale;
        state.Values["growth_factor"] = GrowthFactor;
        state.Values["backoff_factor"] = BackoffFactor;
        state.Values["growth_interval"] = GrowthInterval;
        state.Values["_growth_tracker"] = GrowthTracker;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        double scale = state.Value<double>("scale");
        if (!(scale > 0 && double.IsFinite(scale))) throw new InvalidDataException($"Saved loss scale {scale} is not a positive finite number.");
        int tracker = state.Value<int>("_growth_tracker");
        if (tracker < 0 || tracker >= GrowthInterval) throw new InvalidDataException($"Saved growth tracker {tracker} is outside [0, {GrowthInterval}).");
        (Scale, GrowthTracker) = (scale, tracker);
    }
}
