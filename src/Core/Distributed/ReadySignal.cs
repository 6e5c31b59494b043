using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Unified.Core.Distributed;

/// <summary>
/// An identity whose backward calls a callback: placed on a layer's input, it runs once that layer's backward (and
/// the accumulation of its parameters' gradients, which libtorch runs first) is done. TorchSharp has no tensor hooks;
/// this is the "bucket ready" signal that lets an all-reduce start during backward.
/// </summary>
internal sealed class ReadySignal : SingleTensorFunction<ReadySignal>
{
    const string CallbackKey = "ready";

    /// <inheritdoc />
    public override string Name => "UnifiedReadySignal";

    /// <summary>Returns <paramref name="input"/> unchanged (a view) with <paramref name="onReady"/> attached to its backward.</summary>
    public static Tensor Wrap(Tensor input, Action onReady) => apply(input, onReady);

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        ctx.save_data(CallbackKey, vars[1]);
        return ((Tensor)vars[0]).alias();
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        ((Action)ctx.get_data(CallbackKey))();
        return [grad_output, null!]; // one gradient per argument; the callback has none
    }
}
