using static TorchSharp.torch;

namespace Unified.Core.Logging;

/// <summary>One training step as the progress display sees it.</summary>
/// <param name="Epoch">Epoch, 0-based.</param>
/// <param name="BatchIndex">Batch within the epoch, 0-based.</param>
/// <param name="BatchesPerEpoch">Training batches per epoch.</param>
/// <param name="Loss">The detached loss; valid during the callback only, and reading it syncs the device.</param>
/// <param name="BatchSize">Samples in the batch.</param>
public sealed record StepReport(int Epoch, int BatchIndex, int BatchesPerEpoch, Tensor Loss, int BatchSize);
