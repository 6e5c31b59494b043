namespace Unified.Core.Training;

/// <summary>A training step returned a NaN or infinite loss (and non-finite losses are not set to be skipped).</summary>
public sealed class NonFiniteLossException : ArithmeticException
{
    /// <summary>Creates the exception for the optimiser step <paramref name="globalStep"/> and its micro-batch <paramref name="microBatch"/>.</summary>
    public NonFiniteLossException(double loss, long globalStep, int microBatch)
        : base($"The training loss is {loss} at optimiser step {globalStep} (micro-batch {microBatch} of its accumulation window). " +
               "Lower the learning rate, clip gradients, check the data for NaN or infinite values, or set SkipNonFiniteLoss to skip such steps.")
        => (Loss, GlobalStep, MicroBatch) = (loss, globalStep, microBatch);

    /// <summary>The loss value.</summary>
    public double Loss { get; }

    /// <summary>The optimiser step (0-based) the loss belonged to.</summary>
    public long GlobalStep { get; }

    /// <summary>The micro-batch (1-based) within the accumulation window.</summary>
    public int MicroBatch { get; }
}
