using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// <c>bf16-mixed</c> and <c>16-mixed</c>: the optimiser keeps and updates float32 master parameters; while training,
/// the network runs on a low-precision compute copy of them (normalisation layers and modules that are not
/// <c>Module&lt;Tensor, Tensor&gt;</c> stay float32, a documented fallback), layer outputs come back as float32 so the
/// loss is computed in float32, and gradients are accumulated into the masters in float32. <c>16-mixed</c> adds
/// dynamic loss scaling (<see cref="GradScaler"/>).
/// </summary>
public sealed class MixedPrecision : PrecisionPlugin
{
    readonly GradScaler? scaler;
    readonly List<(ParameterSlot Slot, Parameter Master, Parameter? Compute)> copies = [];
    readonly ComputeCasts casts = new();
    readonly List<nn.Module<Tensor, Tensor>> castModules = [];
    bool active;

    /// <summary>Creates the plugin <paramref name="name"/> computing in <paramref name="computeType"/>, scaling losses with <paramref name="scaler"/> if given.</summary>
    public MixedPrecision(string name, ScalarType computeType, GradScaler? scaler) : base(name, computeType) => this.scaler = scaler;

    /// <summary>The loss scaler (16-mixed), or null.</summary>
    public GradScaler? Scaler => scaler;

    /// <inheritdoc />
    public override bool ChecksLossFiniteness => scaler is null;

    /// <inheritdoc />
    public override void ConnectModule(nn.Module network)
    {
        if (copies.Count > 0 || castModules.Count > 0) throw new InvalidOperationException($"The {Name} plugin is already connected to a network; create one plugin per network.");
        foreach (var (module, name, parameter) in ComputeCasts.OwnedParameters(network))
        {
            if (module is not nn.Module<Tensor, Tensor> layer || ComputeCasts.IsNormalization(module) || parameter.dtype != ScalarType.Float32) continue;
            copies.Add((new ParameterSlot(module, name, parameter), parameter, null));
            if (!castModules.Contains(layer)) castModules.Add(layer);
        }
    }

    /// <inheritdoc />
    public override void Activate()
    {
        if (active) return;
        using (no_grad())
            for (int i = 0; i < copies.Count; i++)
            {
                var (slot, master, compute) = copies[i];
                if (compute is null)
                {
                    compute = new Parameter(master.detach().to_type(ComputeType).DetachFromDisposeScope(), master.requires_grad);
                    compute.DetachFromDisposeScope();
                    copies[i] = (slot, master, compute);
                }
                else compute.copy_(master);
                slot.Set(compute);
            }
        foreach (var module in castModules) casts.Add(module, ComputeType, ScalarType.Float32);
        active = true;
    }

    /// <inheritdoc />
    public override void Deactivate()
    {
        if (!active) return;
        foreach (var (slot, master, _) in copies) slot.Set(master);
        casts.Dispose();
        active = false;
    }

    /// <inheritdoc />
    public override Tensor ScaleLoss(Tensor loss)
    {
        var full = loss.dtype == ScalarType.Float32 ? loss : loss.to_type(ScalarType.Float32);
        return scaler?.ScaleLoss(full) ?? full;
    }

    /// <inheritdoc />
    public override void AfterBackward()
    {
        // Accumulating in the fp32 masters (not in the low-precision copies) keeps accumulation exact across micro-batches.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, master, compute) in copies)
        {
            if (compute?.grad is not { } gradient) continue;
            if (master.grad is { } sum) sum.add_(gradient);
            else master.grad = gradient.to_type(master.dtype);
            gradient.zero_();
        }
    }

    /// <inheritdoc />
    public override bool PrepareStep(IReadOnlyList<Parameter> parameters) =>
        scaler is null || scaler.Unscale(parameters.Select(p => p.grad).OfType<Tensor>());

    /// <inheritdoc />
    public override void AfterStep(bool stepped)
    {
        scaler?.Update(foundInf: !stepped);
        if (!stepped || !active) return;
        using var noGrad = no_grad();
        foreach (var (_, master, compute) in copies) compute?.copy_(master);
    }

    /// <inheritdoc />
    public override StateDict StateDict() => scaler is null ? new StateDict() : new StateDict().Add("scaler", scaler.StateDict());

    /// <inheritdoc />
    public override void LoadStateDict(StateDict state) => scaler?.LoadStateDict(state.Part("scaler"));

    /// <inheritdoc />
    protected override void Release()
    {
        foreach (var (_, _, compute) in copies) compute?.Dispose();
        copies.Clear();
    }
}
