namespace Unified.Core.Distributed;

/// <summary>
/// Averages gradients across ranks for the step kernel (the DDP strategy implements it). The kernel calls
/// <see cref="BeforeBackward"/> before every backward pass, and at the end of every accumulation window — before
/// unscaling, clipping and the optimiser step — <see cref="AfterBackward"/> and then <see cref="ShouldStep"/>;
/// non-stepping micro-batches communicate nothing.
/// </summary>
public interface IGradientSynchronizer
{
    /// <summary>Arms (or disarms) communication for the coming backward pass.</summary>
    /// <param name="stepping">Whether the optimiser steps after this micro-batch, so gradients must be averaged.</param>
    void BeforeBackward(bool stepping);

    /// <summary>
    /// Completes the averaging: on return every rank holds the mean gradient. Called at the end of every window, also
    /// one in which this rank ran no backward (every loss skipped as non-finite), since the other ranks wait for it.
    /// </summary>
    void AfterBackward();

    /// <summary>
    /// Whether the optimiser steps after <see cref="AfterBackward"/>, given whether this rank had gradients in the
    /// window: ranks must agree (a rank that skipped every micro-batch still steps with the others' mean gradient),
    /// or the replicas drift apart. A single process steps when it had gradients.
    /// </summary>
    bool ShouldStep(bool hadGradients) => hadGradients;

    /// <summary>
    /// Whether communication starts during backward, reading the gradients of the parameters it was built over as
    /// layers finish. Mixed precision puts gradients on those (the fp32 masters) only after backward, so the kernel
    /// refuses that combination.
    /// </summary>
    bool OverlapsBackward => false;
}
