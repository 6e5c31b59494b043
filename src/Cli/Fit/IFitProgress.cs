using Unified.Adapters;
using Unified.Core.Training;

namespace Unified.Cli.Fit;

/// <summary>Shows a fit's progress: a live bar on a terminal, one line per epoch otherwise.</summary>
public interface IFitProgress
{
    /// <summary>Runs the fit inside the display.</summary>
    T Run<T>(Func<T> fit);

    /// <summary>After every training step.</summary>
    void OnStep(StepReport step);

    /// <summary>After every epoch.</summary>
    void OnEpoch(EpochResult epoch);
}
