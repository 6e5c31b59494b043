namespace Unified.Core.Distributed;

/// <summary>How <see cref="IProcessGroup.AllReduce"/> combines the ranks' tensors.</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum.</summary>
    Sum,
    /// <summary>Element-wise sum divided by the world size.</summary>
    Mean,
    /// <summary>Element-wise maximum.</summary>
    Max,
    /// <summary>Element-wise minimum.</summary>
    Min,
}
