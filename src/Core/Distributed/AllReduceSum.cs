using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Unified.Core.Distributed;

/// <summary>
/// A differentiable all-reduce (sum), as <c>torch.distributed.nn.functional.all_reduce</c>: every rank's output is the
/// sum of the ranks' inputs, so each input's gradient is the sum of the ranks' output gradients — an all-reduce again.
/// </summary>
internal sealed class AllReduceSum : SingleTensorFunction<AllReduceSum>
{
    const string GroupKey = "group";

    /// <inheritdoc />
    public override string Name => "UnifiedAllReduceSum";

    /// <summary>The sum of <paramref name="input"/> over the ranks of <paramref name="group"/>, with gradients.</summary>
    public static Tensor Apply(Tensor input, IProcessGroup group) => apply(input, group);

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var group = (IProcessGroup)vars[1];
        ctx.save_data(GroupKey, group);
        var sum = ((Tensor)vars[0]).contiguous().clone();
        group.AllReduce(sum);
        return sum;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var sum = grad_output.contiguous().clone();
        ((IProcessGroup)ctx.get_data(GroupKey)).AllReduce(sum);
        return [sum, null!];
    }
}
