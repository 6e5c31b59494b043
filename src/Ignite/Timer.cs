using System.Diagnostics;

namespace Unified.Ignite;

/// <summary>
/// Measures time between events, as Ignite's <c>Timer(average)</c>: started at <c>start</c>, paused and resumed at
/// <c>pause</c>/<c>resume</c>, and counted at <c>step</c> for the average.
/// </summary>
/// <example><code>var t = new Timer(average: true); t.Attach(trainer, start: Events.EpochStarted, resume: Events.IterationStarted, pause: Events.IterationCompleted, step: Events.IterationCompleted);</code></example>
public sealed class Timer(bool average = false)
{
    TimeSpan elapsed;
    long? running;
    long steps;

    /// <summary>Time counted so far (divided by the steps when averaging).</summary>
    public TimeSpan Value()
    {
        var total = elapsed + (running is long t ? Stopwatch.GetElapsedTime(t) : TimeSpan.Zero);
        return average && steps > 0 ? total / steps : total;
    }

    /// <summary>Attaches the timer; <paramref name="start"/> resets it.</summary>
    public RemovableHandle Attach(Engine engine, Event start, Event? pause = null, Event? resume = null, Event? step = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var handles = new List<RemovableHandle> { engine.On(start, () => (elapsed, running, steps) = (TimeSpan.Zero, Stopwatch.GetTimestamp(), 0)) };
        if (pause is not null) handles.Add(engine.On(pause, Pause));
        if (resume is not null) handles.Add(engine.On(resume, () => running ??= Stopwatch.GetTimestamp()));
        if (step is not null) handles.Add(engine.On(step, () => steps++));
        return new RemovableHandle(() => handles.ForEach(h => h.Remove()));
    }

    void Pause()
    {
        if (running is not long t) return;
        elapsed += Stopwatch.GetElapsedTime(t);
        running = null;
    }
}
