using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// Forward hooks that cast a module's floating input to the compute dtype (and, for mixed precision, its output back
/// to float32): autocast at module granularity, since TorchSharp has no autocast. Hooks run through
/// <c>module.call(x)</c>, TorchSharp's <c>__call__</c>.
/// </summary>
sealed class ComputeCasts : IDisposable
{
    readonly List<Action> removers = [];

    /// <summary>Casts inputs of <paramref name="module"/> to <paramref name="input"/>, and outputs to <paramref name="output"/> when given.</summary>
    public void Add(nn.Module<Tensor, Tensor> module, ScalarType input, ScalarType? output)
    {
        var pre = module.register_forward_pre_hook((_, x) => Cast(x, input));
        removers.Add(pre.remove);
        if (output is ScalarType type)
        {
            var post = module.register_forward_hook((_, _, y) => Cast(y, type));
            removers.Add(post.remove);
        }
    }

    /// <summary>Casts the floating output of <paramref name="module"/> to <paramref name="output"/>.</summary>
    public void AddOutput(nn.Module<Tensor, Tensor> module, ScalarType output)
    {
        var post = module.register_forward_hook((_, _, y) => Cast(y, output));
        removers.Add(post.remove);
    }

    static Tensor Cast(Tensor x, ScalarType type) => x.is_floating_point() && x.dtype != type ? x.to_type(type) : x;

    /// <summary>Whether <paramref name="module"/> is a normalisation layer, which autocast runs in float32.</summary>
    public static bool IsNormalization(nn.Module module) => module.GetType().Name.Contains("Norm", StringComparison.Ordinal);

    /// <summary>Every module of <paramref name="network"/>, the network included, with the parameters it owns directly.</summary>
    public static IEnumerable<(nn.Module Module, string Name, TorchSharp.Modules.Parameter Parameter)> OwnedParameters(nn.Module network) =>
        new[] { network }.Concat(network.modules())
            .SelectMany(m => m.named_parameters(recurse: false).Select(p => (m, p.name, p.parameter)));

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
    }
}
