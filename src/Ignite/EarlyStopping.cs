using Unified.Core.State;

namespace Unified.Ignite;

/// <summary>
/// Terminates <c>trainer</c> when the score has not improved for <c>patience</c> calls, as Ignite's
/// <c>EarlyStopping</c> (ignite/handlers/early_stopping.py): higher scores are better; an improvement must exceed
/// <c>minDelta</c>; with <c>cumulativeDelta</c> small gains do not move the best score. Stateful, so that a resumed run
/// keeps its count.
/// </summary>
/// <example><code>evaluator.On(Events.Completed, new EarlyStopping(3, e =&gt; -e.State.Metric("val_loss"), trainer).Handle);</code></example>
public sealed class EarlyStopping : IStateful
{
    readonly Func<Engine, double> scoreFunction;
    readonly Engine trainer;
    readonly double minDelta;
    readonly bool cumulativeDelta;

    /// <summary>Creates the handler.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patience"/> below 1 or <paramref name="minDelta"/> negative.</exception>
    public EarlyStopping(int patience, Func<Engine, double> scoreFunction, Engine trainer, double minDelta = 0, bool cumulativeDelta = false)
    {
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be a positive integer.");
        if (!(minDelta >= 0)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be >= 0.");
        (Patience, this.scoreFunction, this.trainer, this.minDelta, this.cumulativeDelta) =
            (patience, scoreFunction ?? throw new ArgumentNullException(nameof(scoreFunction)), trainer ?? throw new ArgumentNullException(nameof(trainer)), minDelta, cumulativeDelta);
    }

    /// <summary>Calls without improvement that stop the trainer.</summary>
    public int Patience { get; }

    /// <summary>Calls without improvement so far.</summary>
    public int Counter { get; private set; }

    /// <summary>The best score so far, or null before the first call.</summary>
    public double? BestScore { get; private set; }

    /// <summary>The handler to attach (typically to an evaluator's <c>Completed</c> or the trainer's <c>EpochCompleted</c>).</summary>
    /// <exception cref="InvalidOperationException">The score function returned NaN.</exception>
    public void Handle(Engine engine)
    {
        double score = scoreFunction(engine);
        if (double.IsNaN(score))
            throw new InvalidOperationException("EarlyStopping's score function returned NaN; return a number (e.g. -val_loss), or stop on NaN with TerminateOnNan.");
        if (BestScore is not double best) BestScore = score;
        else if (score <= best + minDelta)
        {
            if (!cumulativeDelta && score > best) BestScore = score;
            if (++Counter >= Patience) trainer.Terminate();
        }
        else (BestScore, Counter) = (score, 0);
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["counter"] = Counter;
        state.Values["best_score"] = BestScore;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Counter = state.Value<int>("counter");
        BestScore = state.Values.TryGetValue("best_score", out var best) && best is not null ? best.GetValue<double>() : null;
    }
}
