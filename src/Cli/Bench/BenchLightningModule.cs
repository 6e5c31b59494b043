using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// A benchmark's step as a <see cref="LightningModule"/> (the hand-written loop's network, optimiser and loss, and an
/// epoch-mean log as <see cref="Core.Models.ClassificationModule"/>), so that the Lightning front-end runs with its
/// whole hook set (every hook present, none overridden) and Lightning's <c>Log</c>.
/// </summary>
internal sealed class BenchLightningModule(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Func<Tensor, Tensor, Tensor> lossFunction)
    : LightningModule(network)
{
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = lossFunction(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, onStep: false, onEpoch: true, progressBar: true);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => new(optimizer);
}
