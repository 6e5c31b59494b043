using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Parameters whose gradients live as views of one flat buffer, so that averaging them is one all-reduce. The views
/// are the parameters' <c>.grad</c>: backward accumulates into them in place and optimisers step from them.
/// </summary>
internal sealed class GradientBucket : IDisposable
{
    readonly Tensor flat;
    readonly (Parameter Parameter, Tensor View)[] members;
    readonly nint[] addresses;

    public GradientBucket(IReadOnlyList<Parameter> parameters)
    {
        var first = parameters[0];
        long total = parameters.Sum(p => p.numel());
        flat = zeros(total, first.dtype, first.device).DetachFromDisposeScope();
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
        Bytes = total * flat.ElementSize;
    }

    /// <summary>The flat gradient buffer (what is all-reduced).</summary>
    public Tensor Flat => flat;

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

    public void Dispose()
    {
        foreach (var (_, view) in members) view.Dispose();
        flat.Dispose();
    }
}
