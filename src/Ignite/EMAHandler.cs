using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Keeps an exponential moving average of a model's weights, as Ignite's <c>EMAHandler</c>
/// (ignite/handlers/ema_handler.py): θ_ema ← (1 − λ)·θ_ema + λ·θ at every attached event, λ the momentum (in
/// <c>State.Extras[name]</c>), warmed up linearly from <c>momentumWarmup</c> over <c>warmupIters</c> calls when given.
/// TorchSharp cannot deep-copy a module, so the EMA model is a second instance of the same architecture, whose
/// weights are overwritten with the model's. Stateful: a checkpoint holds the EMA weights and the warmup position.
/// Create it after the trainer (a "-true" precision converts the network when the trainer is made): it averages the
/// parameters the optimiser updates.
/// </summary>
/// <example><code>
/// var ema = new EMAHandler(model, new DigitsMlp(), momentum: 0.001);
/// ema.Attach(trainer, evt: Events.IterationCompleted.Every(5));
/// evaluatorOfEma = Supervised.CreateSupervisedEvaluator(ema.EmaModel, metrics);
/// </code></example>
public sealed class EMAHandler : IStateful
{
    readonly (Tensor Ema, Tensor Online)[] parameters;
    readonly (Tensor Ema, Tensor Online)[] buffers;
    readonly double? momentumWarmup;
    readonly int? warmupIters;
    long eventIndex;

    /// <summary>Creates the handler; <paramref name="emaModel"/> gets <paramref name="model"/>'s weights and is put in eval mode (train mode for <c>ema_train</c>).</summary>
    /// <param name="model">The online model.</param>
    /// <param name="emaModel">A module of the same architecture that holds the average.</param>
    /// <param name="momentum">λ after warmup, in (0, 1).</param>
    /// <param name="momentumWarmup">λ at the first call of the warmup.</param>
    /// <param name="warmupIters">Calls of the warmup.</param>
    /// <param name="handleBuffers"><c>copy</c> (default: the online model's buffers), <c>update</c> (averaged too) or <c>ema_train</c> (left alone, EMA model in train mode).</param>
    /// <exception cref="ArgumentException">A momentum outside (0, 1), only one of the warmup arguments, another <paramref name="handleBuffers"/>, or models whose parameters differ.</exception>
    public EMAHandler(nn.Module model, nn.Module emaModel, double momentum = 0.0002, double? momentumWarmup = null, int? warmupIters = null, string handleBuffers = "copy")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(emaModel);
        if (!(momentum > 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in (0, 1).");
        if ((momentumWarmup is null) != (warmupIters is null))
            throw new ArgumentException("Pass both momentumWarmup and warmupIters for a warmup, or neither.", momentumWarmup is null ? nameof(momentumWarmup) : nameof(warmupIters));
        if (warmupIters < 1) throw new ArgumentOutOfRangeException(nameof(warmupIters), warmupIters, "warmupIters must be a positive integer.");
        if (handleBuffers is not ("copy" or "update" or "ema_train"))
            throw new ArgumentException($"handleBuffers can only be one of 'copy', 'update', 'ema_train', not '{handleBuffers}'.", nameof(handleBuffers));
        if (ReferenceEquals(model, emaModel)) throw new ArgumentException("emaModel must be a second instance, not the model itself.", nameof(emaModel));
        (Momentum, this.momentumWarmup, this.warmupIters, HandleBuffers, Model, EmaModel) = (momentum, momentumWarmup, warmupIters, handleBuffers, model, emaModel);
        parameters = Pair(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), emaModel.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), "parameters");
        buffers = Pair(model.named_buffers(), emaModel.named_buffers(), "buffers");
        using (no_grad())
        {
            foreach (var (ema, online) in parameters)
            {
                ema.requires_grad_(false);
                ema.copy_(online);
            }
            foreach (var (ema, online) in buffers) ema.copy_(online);
        }
        if (handleBuffers == "ema_train") emaModel.train();
        else emaModel.eval();
    }

    /// <summary>The online model.</summary>
    public nn.Module Model { get; }

    /// <summary>The averaged model (Ignite's <c>ema_model</c>).</summary>
    public nn.Module EmaModel { get; }

    /// <summary>λ after the warmup.</summary>
    public double Momentum { get; }

    /// <summary>How buffers are handled: <c>copy</c>, <c>update</c> or <c>ema_train</c>.</summary>
    public string HandleBuffers { get; }

    /// <summary>
    /// Updates the EMA model at <paramref name="evt"/> (default every iteration), with the momentum in
    /// <c>State.Extras[name]</c>: set to <see cref="Momentum"/> unless present (a loaded state or another handler set
    /// it, as Ignite), advanced by the warmup first when there is one.
    /// </summary>
    public RemovableHandle Attach(Engine engine, string name = "ema_momentum", Event? evt = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        engine.State.Extras.TryAdd(name, Momentum);
        return engine.On(evt ?? Events.IterationCompleted, e =>
        {
            if (momentumWarmup is double warmup) e.State.Extras[name] = WarmupMomentum(++eventIndex, warmup, warmupIters!.Value);
            Update(Convert.ToDouble(e.State.Extras[name], System.Globalization.CultureInfo.InvariantCulture));
        });
    }

    // ema_handler.py EMAWarmUp: linear from momentum_warmup at call 1 to momentum at call warmup_iters, then constant.
    double WarmupMomentum(long index, double warmup, int iters)
    {
        double current = warmup + (Momentum - warmup) * (index - 1) / Math.Max(1, iters - 1);
        return Momentum >= warmup ? Math.Min(Momentum, current) : Math.Max(Momentum, current);
    }

    void Update(double momentum)
    {
        using var noGrad = no_grad();
        foreach (var (ema, online) in parameters) ema.mul_(1.0 - momentum).add_(online, alpha: momentum);
        if (HandleBuffers == "ema_train") return;
        foreach (var (ema, online) in buffers)
            if (HandleBuffers == "update" && ema.is_floating_point()) ema.mul_(1.0 - momentum).add_(online, alpha: momentum);
            else ema.copy_(online);
    }

    static (Tensor Ema, Tensor Online)[] Pair(IEnumerable<(string Name, Tensor Tensor)> online, IEnumerable<(string Name, Tensor Tensor)> ema, string what)
    {
        var onlineList = online.ToList();
        var emaByName = ema.ToDictionary(p => p.Name, p => p.Tensor);
        if (emaByName.Count != onlineList.Count || onlineList.Any(p => !emaByName.TryGetValue(p.Name, out var e) || !e.shape.SequenceEqual(p.Tensor.shape)))
            throw new ArgumentException($"emaModel's {what} differ from the model's ({emaByName.Count} vs {onlineList.Count}, or other names or shapes); pass a module of the same architecture.", "emaModel");
        return [.. onlineList.Select(p => (emaByName[p.Name], p.Tensor))];
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new ModuleState(EmaModel).StateDict();
        state.Values["event_index"] = eventIndex;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        new ModuleState(EmaModel).LoadStateDict(state);
        eventIndex = state.Value<long>("event_index");
    }
}
