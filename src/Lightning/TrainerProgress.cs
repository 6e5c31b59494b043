namespace Unified.Lightning;

/// <summary>Where a fit stands, as seen by callbacks (read-only).</summary>
/// <param name="Epoch">Current epoch, 0-based.</param>
/// <param name="MaxEpochs">Epochs the fit runs.</param>
/// <param name="BatchIndex">Index of the current batch in its epoch, 0-based.</param>
/// <param name="BatchesPerEpoch">Training batches per epoch.</param>
/// <param name="GlobalStep">Optimiser steps taken.</param>
/// <param name="IsGlobalZero">Whether this process is rank 0 of a data-parallel run (or the only one): the rank that logs, prints and writes files.</param>
public sealed record TrainerProgress(int Epoch, int MaxEpochs, int BatchIndex, int BatchesPerEpoch, long GlobalStep, bool IsGlobalZero = true);
