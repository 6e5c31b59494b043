using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Hosting.Tests.Scanned;

/// <summary>A Lightning callback found by scanning; its dependency comes from the container.</summary>
public sealed class CountingCallback(Calls calls) : Callback
{
    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) => calls.CallbackBatch();
}
