using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// The benchmark's MLP step as a <see cref="LightningModule"/> (the same loss, optimiser and epoch-mean log as
/// <see cref="Core.Models.ClassificationModule"/>), so that the Lightning front-end runs with its whole hook set
/// (every hook present, none overridden) and Lightning's <c>Log</c>.
/// </summary>
internal sealed class BenchLightningModule(nn.Module<Tensor, Tensor> network) : LightningModule(network)
{
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, onStep: false, onEpoch: true, progressBar: true);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
}
