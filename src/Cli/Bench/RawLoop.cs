using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>The hand-written TorchSharp loop that front-end overhead is measured against.</summary>
public static class RawLoop
{
    /// <summary>
    /// One training epoch as a TorchSharp user would write it: zero grad, forward, cross-entropy, backward, step, with
    /// a running loss sum kept on the device (what any loop that reports its loss does). Returns the optimiser steps.
    /// The loss is cross-entropy unless <paramref name="lossFunction"/> says otherwise.
    /// </summary>
    public static int TrainEpoch(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, IBatchLoader loader, int epoch,
        Func<Tensor, Tensor, Tensor>? lossFunction = null)
    {
        lossFunction ??= (output, target) => nn.functional.cross_entropy(output, target);
        using var lossSum = zeros(1, ScalarType.Float64);
        int steps = 0;
        foreach (var batch in loader.Epoch(epoch))
        {
            using var scope = NewDisposeScope();
            using var disposeBatch = batch;
            optimizer.zero_grad();
            var loss = lossFunction(network.call(batch.Input), batch.Target);
            loss.backward();
            optimizer.step();
            lossSum.add_(loss.detach());
            steps++;
        }
        return steps;
    }
}
