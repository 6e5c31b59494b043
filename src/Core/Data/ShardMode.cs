namespace Unified.Core.Data;

/// <summary>How a split is divided among the ranks of a data-parallel run when its size is not a multiple of the world size.</summary>
public enum ShardMode
{
    /// <summary>Repeat samples from the start so every rank gets the same count (PyTorch's <c>DistributedSampler</c> default): for training, so that every rank runs the same number of steps.</summary>
    Pad,

    /// <summary>Leave out the last samples so every rank gets the same count (<c>drop_last=True</c>).</summary>
    Drop,

    /// <summary>Every sample exactly once; ranks may get one sample more than others: for evaluation, so that no sample counts twice.</summary>
    Uneven,
}
