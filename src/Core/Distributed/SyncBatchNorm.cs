using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Batch normalisation over the global batch of a data-parallel run, as PyTorch's <c>SyncBatchNorm</c>: in training,
/// the mean and variance come from every rank's samples (all-reduced in forward, and their gradients all-reduced in
/// backward), so that N ranks with batch B normalise as one process with batch N·B. <see cref="Convert"/> switches
/// the batch-norm layers of an existing network, wherever they are referenced; evaluation uses the running
/// statistics as before.
/// </summary>
/// <example><code>using var sync = SyncBatchNorm.Convert(model, group); // before wrapping the model in DistributedDataParallel</code></example>
public sealed class SyncBatchNorm : IDisposable
{
    readonly List<Action> removers = [];

    SyncBatchNorm() { }

    /// <summary>The batch-norm layers that normalise over the global batch.</summary>
    public int Layers => removers.Count / 2;

    /// <summary>
    /// Makes every <c>BatchNorm1d/2d/3d</c> of <paramref name="network"/> synchronise its training statistics over
    /// <paramref name="group"/>; dispose the result to switch back. With one process it changes nothing.
    /// </summary>
    public static SyncBatchNorm Convert(nn.Module network, IProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(group);
        var sync = new SyncBatchNorm();
        if (group.WorldSize == 1) return sync;
        foreach (var (_, module) in network.named_modules())
        {
            if (module is not BatchNorm norm) continue;
            // libtorch's own layer must not update the running statistics from local ones: it runs in eval mode
            // (its output is replaced), and the post-hook computes the synchronised output and statistics.
            var wasTraining = new bool[1];
            sync.removers.Add(norm.register_forward_pre_hook((layer, input) =>
            {
                wasTraining[0] = layer.training;
                if (layer.training) layer.eval();
                return input;
            }).remove);
            sync.removers.Add(norm.register_forward_hook((layer, input, output) =>
            {
                if (!wasTraining[0]) return output;
                layer.train();
                return Forward(norm, input, group);
            }).remove);
        }
        return sync;
    }

    static Tensor Forward(BatchNorm norm, Tensor input, IProcessGroup group)
    {
        if (input.dim() < 2)
            throw new ArgumentException($"Batch norm expects input of shape [N, C, ...]; got [{string.Join(", ", input.shape)}].", nameof(input));
        long channels = input.shape[1];
        long[] reduce = [0, .. Enumerable.Range(2, (int)input.dim() - 2).Select(d => (long)d)];
        long[] broadcast = [1, channels, .. Enumerable.Repeat(1L, (int)input.dim() - 2)];
        using var scope = NewDisposeScope();

        var local = cat([input.sum(reduce), full(1, input.numel() / channels, dtype: input.dtype, device: input.device)]);
        var global = AllReduceSum.Apply(local, group);
        var count = global.narrow(0, channels, 1).detach();
        var mean = global.narrow(0, 0, channels) / count;
        var centered = input - mean.view(broadcast);
        // Two passes (mean, then squared deviations) as libtorch's own batch norm, not E[x²] − E[x]².
        var variance = AllReduceSum.Apply(centered.square().sum(reduce), group) / count;
        var output = centered * (variance + norm.eps).rsqrt().view(broadcast);
        if (norm.weight is not null) output = output * norm.weight.view(broadcast);
        if (norm.bias is not null) output = output + norm.bias.view(broadcast);

        if (norm.track_running_stats && norm.running_mean is not null && norm.running_var is not null)
        {
            using var noGrad = no_grad();
            norm.num_batches_tracked?.add_(1);
            double factor = norm.momentum ?? 1.0 / norm.num_batches_tracked!.item<long>();
            var unbiased = variance.detach() * count / (count - 1).clamp_min(1);
            norm.running_mean.mul_(1 - factor).add_(mean.detach() * factor);
            norm.running_var.mul_(1 - factor).add_(unbiased * factor);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Switches the layers back to per-process statistics.</summary>
    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
    }
}
