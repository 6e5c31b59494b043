using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// A TorchSharp learning-rate scheduler as a handler (Ignite's <c>LRScheduler</c>): each call steps it once. Stateful
/// (the scheduler's own counters are saved too).
/// </summary>
/// <example><code>trainer.On(Events.EpochCompleted, new LRScheduler(optim.lr_scheduler.StepLR(optimizer, 3)).Handle);</code></example>
public sealed class LRScheduler(optim.lr_scheduler.LRScheduler scheduler) : IStateful
{
    readonly SchedulerState state = new(scheduler ?? throw new ArgumentNullException(nameof(scheduler)));

    /// <summary>Calls so far.</summary>
    public long EventIndex { get; private set; }

    /// <summary>The handler to attach: steps the scheduler.</summary>
    public void Handle(Engine engine)
    {
        scheduler.step();
        EventIndex++;
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var saved = new StateDict().Add("scheduler", state.StateDict());
        saved.Values["event_index"] = EventIndex;
        return saved;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        state.LoadStateDict(saved.Part("scheduler"));
        EventIndex = saved.Value<long>("event_index");
    }
}
