using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Optimization;

/// <summary>
/// Steps TorchSharp's <c>optim.Adam</c>, <c>optim.AdamW</c> or <c>optim.SGD</c> (momentum, dampening, Nesterov, weight
/// decay, maximize) with a few native calls per parameter group instead of about ten per parameter: the parameters,
/// their gradients and the optimiser's state tensors are re-pointed at views of one flat buffer each, and the update
/// runs TorchSharp's own sequence of operations once over the flat buffers. Element-wise the arithmetic is the same, so
/// the weights and the state are those of the optimiser's own <c>step()</c>. The state stays the optimiser's (same
/// objects, same fields), so checkpoints keep PyTorch's keys (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>step</c>,
/// <c>momentum_buffer</c>) and a resume loads into the views. A step it cannot fuse (a parameter without a gradient,
/// a state tensor someone replaced with one of another step count) runs the optimiser's own <c>step()</c> on the same state.
/// An optimiser marked with <see cref="FusedKernels.WithFusedKernel{T}"/> is stepped over the same buffers by libtorch's
/// single-pass kernel instead (PyTorch's <c>fused=True</c>: faster, not bitwise).
/// </summary>
/// <example><code>var fused = FusedOptimizer.TryCreate(optimizer, out string? why); (fused?.Step()) ?? optimizer.step();</code></example>
public sealed class FusedOptimizer : IDisposable
{
    readonly optim.Optimizer optimizer;
    readonly FusedGroup[] groups;

    FusedOptimizer(optim.Optimizer optimizer, FusedGroup[] groups) => (this.optimizer, this.groups) = (optimizer, groups);

    /// <summary>Whether the steps run libtorch's fused kernel (the optimiser was marked with <see cref="FusedKernels.WithFusedKernel{T}"/>) rather than TorchSharp's sequence of operations.</summary>
    public bool UsesKernel => FusedKernels.IsMarked(optimizer);

    /// <summary>Steps taken fused.</summary>
    public long FusedSteps { get; private set; }

    /// <summary>Steps that ran the optimiser's own <c>step()</c> instead (see the class remarks).</summary>
    public long FallbackSteps { get; private set; }

    /// <summary>
    /// Why <paramref name="optimizer"/> cannot be fused (another type, AMSGrad, parameters of mixed dtype or device,
    /// non-contiguous or shared storage), or null when it can.
    /// </summary>
    public static string? Unsupported(optim.Optimizer optimizer)
    {
        var kind = FusedGroup.KindOf(optimizer);
        if (kind is null) return $"{optimizer.GetType().Name} is not Adam, AdamW or SGD";
        var seen = new HashSet<nint>();
        foreach (var group in optimizer.ParamGroups.OfType<ParamGroup>())
        {
            if (group.Options is Adam.Options { amsgrad: true } or AdamW.Options { amsgrad: true }) return "AMSGrad is not fused";
            var parameters = group.Parameters.ToList();
            if (parameters.Count == 0) continue;
            var (dtype, device) = (parameters[0].dtype, parameters[0].device);
            foreach (var p in parameters)
            {
                if (!is_floating_point(p)) return $"a parameter has dtype {p.dtype}";
                if (p.dtype != dtype || p.device.type != device.type || p.device.index != device.index) return "the parameters of a group differ in dtype or device";
                if (!p.is_contiguous()) return "a parameter is not contiguous";
                if (!seen.Add(Distributed.TensorMemory.DataPointer(p))) return "two parameters share storage";
            }
        }
        return null;
    }

    /// <summary>The fused step for <paramref name="optimizer"/>, or null with <paramref name="reason"/> when it is not supported.</summary>
    public static FusedOptimizer? TryCreate(optim.Optimizer optimizer, out string? reason)
    {
        reason = Unsupported(optimizer);
        if (reason is not null) return null;
        var states = ((OptimizerHelper)optimizer).state_dict().State;
        var groups = new List<FusedGroup>();
        int first = 0;
        foreach (var group in optimizer.ParamGroups.OfType<ParamGroup>())
        {
            var parameters = group.Parameters.ToList();
            if (parameters.Count > 0) groups.Add(new FusedGroup(group, parameters, states.GetRange(first, parameters.Count), FusedKernels.IsMarked(optimizer)));
            first += parameters.Count;
        }
        return new FusedOptimizer(optimizer, [.. groups]);
    }

    /// <summary>One optimiser step over every parameter group (fused when every group can be; else the optimiser's own).</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        bool fusable = true;
        foreach (var group in groups) fusable &= group.Prepare();
        if (!fusable)
        {
            optimizer.step();
            foreach (var group in groups) group.Adopt();
            FallbackSteps++;
            return;
        }
        foreach (var group in groups) group.Step();
        FusedSteps++;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var group in groups) group.Dispose();
    }
}
