using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Terminates the engine when its output (a number or tensor) holds NaN or infinity, as Ignite's <c>TerminateOnNan</c>.
/// Reading a tensor output syncs with the device once per iteration.
/// </summary>
/// <example><code>trainer.On(Events.IterationCompleted, new TerminateOnNan().Handle);</code></example>
public sealed class TerminateOnNan(Func<object?, object?>? outputTransform = null)
{
    /// <summary>The iteration at which a non-finite output stopped the run, or null.</summary>
    public long? StoppedAt { get; private set; }

    /// <summary>The handler to attach to <c>IterationCompleted</c>.</summary>
    public void Handle(Engine engine)
    {
        var output = outputTransform is null ? engine.State.Output : outputTransform(engine.State.Output);
        bool finite = output switch
        {
            Tensor t => t.isfinite().all().item<bool>(),
            double d => double.IsFinite(d),
            float f => float.IsFinite(f),
            _ => true,
        };
        if (finite) return;
        StoppedAt = engine.State.Iteration;
        engine.Terminate();
    }
}
