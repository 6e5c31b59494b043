using Microsoft.Extensions.Hosting;
using Unified.Hosting;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>
/// When the sample stops its host: once armed, after a number of steps (smoke) or after the first epoch, through
/// <see cref="IHostApplicationLifetime.StopApplication"/>, as an operator's Ctrl+C would. Registered by hand as a singleton.
/// </summary>
public sealed class JobStopPlan(IHostApplicationLifetime lifetime, ITrainingJobStatus status)
{
    long? stopAtStep;
    bool armed, fired;

    /// <summary>Stops the host at step <paramref name="step"/>, or at the end of the first epoch when null.</summary>
    public void Arm(long? step) => (stopAtStep, armed) = (step, true);

    /// <summary>Called after each training step with the steps done so far.</summary>
    public void StepDone(long steps)
    {
        if (stopAtStep is long k && steps >= k) Stop();
    }

    /// <summary>Called at the end of each training epoch.</summary>
    public void EpochDone()
    {
        if (stopAtStep is null) Stop();
    }

    void Stop()
    {
        if (!armed || fired) return;
        fired = true;
        lifetime.StopApplication();
        // The host stops on another thread; hold this step until the job saw it, so that it stops here, not at its end.
        if (!SpinWait.SpinUntil(() => status.State == TrainingJobState.Stopping, TimeSpan.FromMinutes(1)))
            throw new TimeoutException("The training job did not see the host stop within a minute.");
    }
}
