using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Parameters whose gradients live as views of one flat buffer, so that averaging them is one all-reduce. The views
/// are the parameters' <c>.grad</c>: backward accumulates into them in place and optimisers step from them.
/// Half-precision buckets (bf16-true, 16-true) are reduced through a float32 copy, which MPI can sum.
/// </summary>
internal sealed class GradientBucket : IDisposable
{
    readonly Tensor flat;
    readonly (Parameter Parameter, Tensor View)[] members;
    readonly nint[] addresses;
    Tensor? staging;

    /// <summary>Buckets <paramref name="parameters"/> (one dtype and device), with <paramref name="extra"/> spare elements after them.</summary>
    public GradientBucket(IReadOnlyList<Parameter> parameters, int extra = 0)
    {
        var first = parameters[0];
        long total = parameters.Sum(p => p.numel());
        flat = zeros(total + extra, first.dtype, first.device).DetachFromDisposeScope();
        members = new (Parameter, Tensor)[parameters.Count];
        addresses = new nint[parameters.Count];
        long offset = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            using var slice = flat.narrow(0, offset, p.numel());
            var view = slice.view(p.shape).DetachFromDisposeScope();
            members[i] = (p, view);
            addresses[i] = TensorMemory.DataPointer(view);
            offset += p.numel();
        }
        Bytes = (total + extra) * flat.ElementSize;
        Extra = flat.narrow(0, total, extra).DetachFromDisposeScope();
    }

    /// <summary>The spare elements after the gradients (e.g. a flag reduced with them).</summary>
    public Tensor Extra { get; }

    /// <summary>The buffer's size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>The parameters, in bucket order.</summary>
    public IEnumerable<Parameter> Parameters => members.Select(m => m.Parameter);

    /// <summary>
    /// Makes every parameter's gradient its view again: <c>zero_grad(set_to_none)</c> or an assignment may have replaced
    /// it; a gradient that is not the view is copied in (none counts as zeros).
    /// </summary>
    public void Attach()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < members.Length; i++)
        {
            var (parameter, view) = members[i];
            using var grad = parameter.grad;
            if (grad is not null && TensorMemory.DataPointer(grad) == addresses[i]) continue;
            if (grad is null) view.zero_();
            else view.copy_(grad);
            parameter.grad = view;
        }
    }

    /// <summary>Starts summing the buffer over <paramref name="group"/>.</summary>
    public ICollectiveWork StartSum(IProcessGroup group)
    {
        if (flat.dtype is ScalarType.Float32 or ScalarType.Float64) return group.StartAllReduce(flat, ReduceOp.Sum);
        using var noGrad = no_grad();
        staging ??= zeros(flat.shape, ScalarType.Float32, flat.device).DetachFromDisposeScope();
        staging.copy_(flat);
        return group.StartAllReduce(staging, ReduceOp.Sum);
    }

    /// <summary>After the sum finished: scales it by <paramref name="scale"/> (1 / world size) into the gradients.</summary>
    public void Scale(double scale)
    {
        using var noGrad = no_grad();
        if (staging is null) flat.mul_(scale);
        else flat.copy_(staging.mul_(scale));
    }

    public void Dispose()
    {
        foreach (var (_, view) in members) view.Dispose();
        Extra.Dispose();
        staging?.Dispose();
        flat.Dispose();
    }
}
