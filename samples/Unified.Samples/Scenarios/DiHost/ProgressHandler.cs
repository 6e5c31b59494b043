using Unified.Ignite;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>The same as <see cref="ProgressCallback"/> as an Ignite handler, found by scanning and attached to every ignite trainer.</summary>
public sealed class ProgressHandler(JobStopPlan plan) : ITrainerHandler
{
    public void Attach(Engine trainer)
    {
        trainer.On(Events.IterationCompleted, e => plan.StepDone(e.State.Iteration));
        trainer.On(Events.EpochCompleted, e =>
        {
            Console.WriteLine($"  [scanned handler] ignite epoch {e.State.Epoch} ended at iteration {e.State.Iteration}");
            plan.EpochDone();
        });
        trainer.On(Events.Completed, e => Console.WriteLine($"  [scanned handler] ignite run completed at iteration {e.State.Iteration}"));
    }
}
