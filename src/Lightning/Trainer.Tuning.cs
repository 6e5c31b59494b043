using System.Reflection;

namespace Unified.Lightning;

// What the Tuner needs of a trainer: its options, copied for the short fits it runs.
public sealed partial class Trainer
{
    /// <summary>
    /// A copy of this trainer's options without callbacks, loggers, progress bar, model summary, sanity check or
    /// checkpoints (Lightning's tuner swaps them out for its own fits), changed by <paramref name="adjust"/>.
    /// </summary>
    internal TrainerOptions TuningOptions(Action<TrainerOptions> adjust)
    {
        var copy = new TrainerOptions();
        foreach (var property in typeof(TrainerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property is { CanRead: true, CanWrite: true }) property.SetValue(copy, property.GetValue(options));
        (copy.EnableProgressBar, copy.EnableModelSummary, copy.NumSanityValSteps, copy.LogEveryNSteps, copy.Histograms) = (false, false, 0, null, null);
        adjust(copy);
        copy.Validate();
        return copy;
    }
}
