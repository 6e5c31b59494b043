using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// <c>32-true</c>, <c>64-true</c>, <c>bf16-true</c>, <c>16-true</c>: the whole network (parameters, buffers, optimiser
/// state) lives in one dtype; floating inputs are cast to it at every module that owns parameters.
/// </summary>
public sealed class TruePrecision : PrecisionPlugin
{
    readonly ComputeCasts casts = new();

    /// <summary>Creates the plugin <paramref name="name"/> for <paramref name="type"/>.</summary>
    public TruePrecision(string name, ScalarType type) : base(name, type) { }

    bool Converts => ComputeType != ScalarType.Float32;

    /// <inheritdoc />
    public override void ConnectModule(nn.Module network)
    {
        if (!Converts) return;
        network.to(ComputeType);
        foreach (var module in ComputeCasts.OwnedParameters(network).Select(p => p.Module).Distinct())
            if (module is nn.Module<Tensor, Tensor> layer) casts.Add(layer, ComputeType, output: null);
    }

    /// <inheritdoc />
    public override void CheckParameters(IReadOnlyList<Parameter> parameters)
    {
        if (!Converts) return;
        if (parameters.FirstOrDefault(p => p.is_floating_point() && p.dtype != ComputeType) is { } wrong)
            throw new InvalidOperationException(
                $"Precision '{Name}' needs {ComputeType} parameters, but the optimiser holds {wrong.dtype} ones: it was created before the network " +
                $"was converted. Create the kernel with StepKernel.Create(module, ...), which converts the network before ConfigureOptimizers().");
    }

    /// <inheritdoc />
    protected override void Release() => casts.Dispose();
}
