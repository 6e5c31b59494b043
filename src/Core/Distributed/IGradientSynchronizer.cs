namespace Unified.Core.Distributed;

/// <summary>
/// Averages gradients across ranks for the step kernel (the DDP strategy implements it). The kernel calls
/// <see cref="BeforeBackward"/> before every backward pass and <see cref="AfterBackward"/> after the backward of a
/// micro-batch that ends an accumulation window, before unscaling, clipping and the optimiser step; non-stepping
/// micro-batches communicate nothing.
/// </summary>
public interface IGradientSynchronizer
{
    /// <summary>Arms (or disarms) communication for the coming backward pass.</summary>
    /// <param name="stepping">Whether the optimiser steps after this micro-batch, so gradients must be averaged.</param>
    void BeforeBackward(bool stepping);

    /// <summary>Completes the averaging: on return every rank holds the mean gradient.</summary>
    void AfterBackward();
}
