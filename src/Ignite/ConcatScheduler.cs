using Unified.Core.State;

namespace Unified.Ignite;

/// <summary>
/// Runs schedulers one after another, each for its duration in events (the last one for ever), as Ignite's
/// <c>ConcatScheduler(schedulers, durations)</c>. Stateful, with every scheduler's state.
/// </summary>
/// <example><code>new ConcatScheduler([warmup, cosine], durations: [10]);</code></example>
public sealed class ConcatScheduler : IStateful
{
    readonly IReadOnlyList<IStateful> schedulers;
    readonly Action<Engine>[] handlers;
    readonly int[] durations;
    int current;
    long inCurrent;

    /// <summary>Creates the schedule from <see cref="ParamScheduler"/> or <see cref="LRScheduler"/> handlers.</summary>
    /// <exception cref="ArgumentException">Fewer than two schedulers, durations not one fewer than the schedulers, or a duration below 1.</exception>
    public ConcatScheduler(IReadOnlyList<IStateful> schedulers, IReadOnlyList<int> durations)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(durations);
        if (schedulers.Count < 2) throw new ArgumentException("ConcatScheduler needs at least two schedulers.", nameof(schedulers));
        if (durations.Count != schedulers.Count - 1 || durations.Any(d => d < 1))
            throw new ArgumentException($"ConcatScheduler needs {schedulers.Count - 1} positive durations (one per scheduler but the last), got [{string.Join(", ", durations)}].", nameof(durations));
        handlers = [.. schedulers.Select(s => s switch
        {
            ParamScheduler p => (Action<Engine>)p.Handle,
            LRScheduler l => l.Handle,
            ConcatScheduler c => c.Handle,
            _ => throw new ArgumentException($"{s?.GetType().Name ?? "null"} is not a scheduler handler.", nameof(schedulers)),
        })];
        (this.schedulers, this.durations) = (schedulers, [.. durations]);
    }

    /// <summary>The handler to attach.</summary>
    public void Handle(Engine engine)
    {
        if (current < durations.Length && inCurrent == durations[current]) (current, inCurrent) = (current + 1, 0);
        handlers[current](engine);
        inCurrent++;
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        (state.Values["current"], state.Values["in_current"]) = (current, inCurrent);
        for (int i = 0; i < schedulers.Count; i++) state.Add($"schedulers.{i}", schedulers[i].StateDict());
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        (current, inCurrent) = (state.Value<int>("current"), state.Value<long>("in_current"));
        for (int i = 0; i < schedulers.Count; i++) schedulers[i].LoadStateDict(state.Part($"schedulers.{i}"));
    }

    /// <summary>
    /// A linear warm-up from <paramref name="warmupStartValue"/> to <paramref name="warmupEndValue"/> (default: the
    /// optimizer's current learning rate) over <paramref name="warmupDuration"/> events, then <paramref name="scheduler"/>,
    /// as Ignite's <c>create_lr_scheduler_with_warmup</c>.
    /// </summary>
    public static ConcatScheduler CreateLrSchedulerWithWarmup(TorchSharp.torch.optim.Optimizer optimizer, IStateful scheduler,
        double warmupStartValue, int warmupDuration, double? warmupEndValue = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (warmupDuration < 2) throw new ArgumentOutOfRangeException(nameof(warmupDuration), warmupDuration, "warmupDuration must be at least 2.");
        double end = warmupEndValue ?? optimizer.ParamGroups.First().LearningRate;
        var warmup = new PiecewiseLinear(optimizer, "lr", [(0, warmupStartValue), (warmupDuration - 1, end)]);
        return new ConcatScheduler([warmup, scheduler], [warmupDuration]);
    }
}
