using Unified.Core.Training;

namespace Unified.Core.Logging;

/// <summary>
/// Shows a fit's progress: a live bar on a terminal (<see cref="LiveProgress"/>), one line per epoch otherwise
/// (<see cref="PlainProgress"/>). Started once, fed from the training thread, disposed when the fit ends (also on failure).
/// </summary>
public interface IProgressDisplay : IDisposable
{
    /// <summary>Starts showing; called once before the first step.</summary>
    void Start();

    /// <summary>After every training step.</summary>
    void OnStep(StepReport step);

    /// <summary>After every epoch.</summary>
    void OnEpoch(EpochResult epoch);
}
