using Unified.Core.Checkpointing;

namespace Unified.Lightning;

/// <summary>Where a fit stands, as seen by callbacks (read-only).</summary>
/// <param name="Epoch">Current epoch, 0-based.</param>
/// <param name="MaxEpochs">Epochs the fit runs.</param>
/// <param name="BatchIndex">Index of the current batch in its epoch, 0-based.</param>
/// <param name="BatchesPerEpoch">Training batches per epoch.</param>
/// <param name="GlobalStep">Optimiser steps taken.</param>
/// <param name="IsGlobalZero">Whether this process is rank 0 of a data-parallel run (or the only one): the rank that logs, prints and writes files.</param>
public sealed record TrainerProgress(int Epoch, int MaxEpochs, int BatchIndex, int BatchesPerEpoch, long GlobalStep, bool IsGlobalZero = true)
{
    /// <summary>
    /// Saves the fit's whole current state to a file (Lightning's <c>trainer.save_checkpoint</c>); null outside a fit.
    /// Under data parallelism every rank calls it at the same moment: rank 0 writes, the others wait until the file is durable.
    /// </summary>
    public ICheckpointWriter? Checkpoint { get; init; }

    /// <summary>
    /// Training batches whose step stepped an optimiser, the step the loggers see (Lightning's
    /// <c>_batches_that_stepped</c>): <see cref="GlobalStep"/>, unless a manual step steps several optimisers.
    /// </summary>
    public long BatchesThatStepped { get; init; }
}
