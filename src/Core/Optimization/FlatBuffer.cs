using static TorchSharp.torch;

namespace Unified.Core.Optimization;

/// <summary>One contiguous buffer and a view of it per parameter, in parameter order (the views are what tensors are re-pointed at).</summary>
internal sealed class FlatBuffer : IDisposable
{
    readonly long[] offsets;
    readonly long[][] shapes;
    readonly nint address;

    /// <summary>A zeroed buffer for tensors of <paramref name="shapes"/>.</summary>
    public FlatBuffer(IReadOnlyList<long[]> shapes, ScalarType dtype, Device device)
    {
        this.shapes = [.. shapes];
        offsets = new long[shapes.Count + 1];
        for (int i = 0; i < shapes.Count; i++) offsets[i + 1] = offsets[i] + shapes[i].Aggregate(1L, (a, b) => a * b);
        Flat = zeros(offsets[^1], dtype, device).DetachFromDisposeScope();
        address = Distributed.TensorMemory.DataPointer(Flat);
        Views = new Tensor[shapes.Count];
        for (int i = 0; i < Views.Length; i++) Views[i] = NewView(i);
    }

    /// <summary>The whole buffer, one dimension.</summary>
    public Tensor Flat { get; }

    /// <summary>The per-parameter views (shaped as the parameters).</summary>
    public Tensor[] Views { get; }

    /// <summary>The data address of view <paramref name="i"/>, to tell whether a tensor still lives in the buffer.</summary>
    public nint Address(int i) => address + (nint)(offsets[i] * Flat.ElementSize);

    /// <summary>View <paramref name="i"/>, re-created when someone disposed it (a checkpoint load may dispose a state tensor).</summary>
    public Tensor View(int i)
    {
        if (Views[i].IsInvalid) Views[i] = NewView(i);
        return Views[i];
    }

    Tensor NewView(int i)
    {
        using var slice = Flat.narrow(0, offsets[i], offsets[i + 1] - offsets[i]);
        return slice.view(shapes[i]).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var view in Views) view.Dispose();
        Flat.Dispose();
    }
}
