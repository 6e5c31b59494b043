using System.Diagnostics;
using TorchSharp.Modules;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Data parallelism over a process group, as PyTorch's <c>DistributedDataParallel</c>: every rank holds a replica of
/// the network, made equal to rank 0's at construction; after the backward of each stepping micro-batch the
/// gradients are averaged across ranks, so every replica takes the same optimiser step. Gradients live as views of
/// one flat buffer per bucket (default cap 25 MiB), one all-reduce per bucket. The step kernel drives it through
/// <see cref="IGradientSynchronizer"/>; non-stepping accumulation micro-batches communicate nothing.
/// </summary>
/// <example><code>
/// using var group = ProcessGroups.FromEnvironment();
/// using var ddp = new DistributedDataParallel(model, group);
/// var kernel = new StepKernel(model, optimizers, options, gradients: ddp);
/// </code></example>
public sealed class DistributedDataParallel : IGradientSynchronizer, IDisposable
{
    readonly IProcessGroup group;
    readonly DdpOptions options;
    readonly List<GradientBucket> buckets = [];
    readonly ICollectiveWork?[] pending;
    readonly List<Tensor> buffers = [];
    readonly List<Action> hooks = [];
    readonly SyncBatchNorm? syncBatchNorm;
    bool armed, backwardInWindow, agreedToStep;

    /// <summary>
    /// Wraps <paramref name="network"/> (already on its device): broadcasts rank 0's parameters and buffers to every
    /// rank (collective: every rank constructs it at the same point) and attaches the bucketed gradient views.
    /// </summary>
    public DistributedDataParallel(nn.Module network, IProcessGroup group, DdpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        this.group = group ?? throw new ArgumentNullException(nameof(group));
        this.options = options ?? new DdpOptions();
        this.options.Validate();
        Network = network;
        if (group.WorldSize > 1)
        {
            if (this.options.SyncBatchNorm) syncBatchNorm = SyncBatchNorm.Convert(network, group);
            BroadcastFromRankZero(network, group);
            foreach (var (_, buffer) in network.named_buffers()) buffers.Add(buffer);
            BuildBuckets(network.parameters().Where(p => p.requires_grad).ToList());
            if (this.options.OverlapWithBackward) HookLayers(network);
        }
        pending = new ICollectiveWork?[buckets.Count];
    }

    /// <summary>The wrapped network.</summary>
    public nn.Module Network { get; }

    /// <summary>The process group gradients are averaged over.</summary>
    public IProcessGroup Group => group;

    /// <summary>Gradient buckets (0 for a single process): one all-reduce each per optimiser step.</summary>
    public int BucketCount => buckets.Count;

    /// <summary>Bytes of every bucket, in all-reduce order.</summary>
    public IReadOnlyList<long> BucketBytes => buckets.Select(b => b.Bytes).ToList();

    /// <inheritdoc />
    public bool OverlapsBackward => options.OverlapWithBackward;

    /// <summary>Layers whose input carries a ready signal (with <see cref="DdpOptions.OverlapWithBackward"/>).</summary>
    public int HookedLayers => hooks.Count;

    /// <summary>Gradient averagings done (one per optimiser step).</summary>
    public long Synchronizations { get; private set; }

    /// <summary>Seconds spent waiting for gradient all-reduces to finish after backward (the part not overlapped).</summary>
    public double CommunicationSeconds { get; private set; }

    /// <inheritdoc />
    public void BeforeBackward(bool stepping)
    {
        if (buckets.Count == 0) return;
        foreach (var bucket in buckets) bucket.Attach();
        if (!backwardInWindow) StepFlag.fill_(1);
        backwardInWindow = true;
        armed = stepping && options.OverlapWithBackward;
    }

    /// <inheritdoc />
    public void AfterBackward()
    {
        if (buckets.Count == 0) return;
        long start = Stopwatch.GetTimestamp();
        armed = false;
        // A rank whose losses were all skipped still takes part, with zero gradients (and a zero step flag).
        if (!backwardInWindow) foreach (var bucket in buckets) bucket.Attach();
        StartUpTo(buckets.Count - 1);
        double scale = 1.0 / group.WorldSize;
        for (int b = 0; b < buckets.Count; b++)
        {
            pending[b]!.Wait();
            pending[b] = null;
            buckets[b].Scale(scale);
        }
        using (var flag = StepFlag.to_type(ScalarType.Float64)) agreedToStep = flag.item<double>() > 0;
        StepFlag.zero_();
        backwardInWindow = false;
        if (options.BroadcastBuffers)
            using (no_grad())
                foreach (var buffer in buffers) group.Broadcast(buffer, 0);
        Synchronizations++;
        CommunicationSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <inheritdoc />
    public bool ShouldStep(bool hadGradients) => buckets.Count == 0 ? hadGradients : agreedToStep;

    // 1 on a rank that ran a backward in the window; summed with the last bucket, so agreeing costs no extra collective.
    Tensor StepFlag => buckets[^1].Extra;

    // Buckets hold parameters in reverse registration order, so bucket b is ready when the layers of buckets 0..b are done.
    void StartUpTo(int last)
    {
        for (int b = 0; b <= last; b++) pending[b] ??= buckets[b].StartSum(group);
    }

    void OnReady(int bucket)
    {
        if (!armed) return;
        StartUpTo(bucket);
        foreach (var work in pending) work?.Poll(); // MPI progresses only inside MPI calls
    }

    static void BroadcastFromRankZero(nn.Module network, IProcessGroup group)
    {
        using var noGrad = no_grad();
        foreach (var parameter in network.parameters()) group.Broadcast(parameter, 0);
        foreach (var (_, buffer) in network.named_buffers()) group.Broadcast(buffer, 0);
    }

    void BuildBuckets(List<Parameter> parameters)
    {
        long cap = (long)(options.BucketCapMb * 1024 * 1024);
        var open = new Dictionary<(ScalarType, string), (List<Parameter> Members, long Bytes)>();
        var order = new List<(ScalarType, string)>();
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            var p = parameters[i];
            var key = (p.dtype, p.device.ToString());
            long bytes = p.numel() * p.ElementSize;
            if (open.TryGetValue(key, out var current) && current.Bytes + bytes > cap && current.Members.Count > 0)
            {
                buckets.Add(new GradientBucket(current.Members));
                open.Remove(key);
            }
            if (!open.TryGetValue(key, out current)) current = ([], 0);
            current.Members.Add(p);
            open[key] = (current.Members, current.Bytes + bytes);
            if (!order.Contains(key)) order.Add(key);
        }
        // The parameters left open end the bucket list; the very last bucket carries the step flag.
        var last = order.Where(open.ContainsKey).ToList();
        for (int i = 0; i < last.Count; i++)
            buckets.Add(new GradientBucket(open[last[i]].Members, extra: i == last.Count - 1 ? 1 : 0));
    }

    void HookLayers(nn.Module network)
    {
        // Each bucket's signal goes on the earliest-registered layer that owns one of its parameters.
        var owners = new List<(nn.Module Layer, HashSet<nint> Parameters)>();
        foreach (var (_, module) in network.named_modules())
        {
            var own = module.named_parameters(recurse: false).Select(np => np.parameter.Handle).ToHashSet();
            if (own.Count > 0) owners.Add((module, own));
        }
        var signalFor = new Dictionary<nn.Module, int>(ReferenceEqualityComparer.Instance);
        for (int b = 0; b < buckets.Count; b++)
        {
            var handles = buckets[b].Parameters.Select(p => p.Handle).ToHashSet();
            var earliest = owners.FirstOrDefault(o => o.Parameters.Overlaps(handles)).Layer;
            if (earliest is null) continue;
            signalFor[earliest] = signalFor.TryGetValue(earliest, out int known) ? Math.Max(known, b) : b;
        }
        foreach (var (layer, bucket) in signalFor)
        {
            if (layer is not nn.Module<Tensor, Tensor> hookable) continue;
            var remover = hookable.register_forward_pre_hook((module, input) =>
                module.training && is_grad_enabled() && input.requires_grad ? ReadySignal.Wrap(input, () => OnReady(bucket)) : input);
            hooks.Add(remover.remove);
        }
    }

    /// <summary>Removes the layer hooks and frees the gradient buffers (the parameters keep their last gradients as plain tensors).</summary>
    public void Dispose()
    {
        syncBatchNorm?.Dispose();
        foreach (var remove in hooks) remove();
        hooks.Clear();
        foreach (var bucket in buckets) bucket.Dispose();
        buckets.Clear();
    }
}
