namespace Unified.Core.Distributed;

/// <summary>Options of <see cref="DistributedDataParallel"/>, as the arguments of PyTorch's <c>DistributedDataParallel</c>.</summary>
public sealed class DdpOptions
{
    /// <summary>
    /// Largest gradient bucket in MiB (PyTorch's <c>bucket_cap_mb</c>, default 25): one all-reduce per bucket. Above
    /// about 32 MiB Open MPI's temporaries cross glibc's mmap threshold and an all-reduce gets many times slower.
    /// </summary>
    public double BucketCapMb { get; set; } = 25;

    /// <summary>Give every rank rank 0's buffers (e.g. batch-norm running statistics) after every optimiser step (default true, as PyTorch's <c>broadcast_buffers</c>).</summary>
    public bool BroadcastBuffers { get; set; } = true;

    /// <summary>
    /// Start each bucket's all-reduce during backward, as soon as its layers' gradients are complete, instead of after
    /// backward (default false). Needs a network whose layers run one after another, each once, in registration order
    /// (MLPs, CNNs, <c>Sequential</c>); a bucket whose layers cannot be hooked waits for the end of backward.
    /// </summary>
    public bool OverlapWithBackward { get; set; }

    /// <summary>Normalise batch-norm layers over the global batch (<see cref="Distributed.SyncBatchNorm"/>; Lightning's <c>sync_batchnorm</c>). Default false.</summary>
    public bool SyncBatchNorm { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (!(BucketCapMb > 0 && double.IsFinite(BucketCapMb)))
            throw new ArgumentOutOfRangeException(nameof(BucketCapMb), BucketCapMb, "BucketCapMb must be a positive number of MiB (default 25).");
    }
}
