using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Adapters.Tests;

/// <summary>
/// What every rank of <see cref="ManualDdpTests"/> runs (<c>mpirun -np 2 dotnet Unified.Adapters.Tests.dll manual DIR</c>):
/// the digits MLP under Lightning's ddp with gradient communication overlapped with backward, once with automatic
/// accumulation of 2 and once stepping by hand every 2nd batch; each rank prints its weights' hash and global step.
/// </summary>
public static class ManualDdpWorker
{
    /// <summary>Batches each rank trains on, and its batch size.</summary>
    public const int Batches = 20, BatchPerRank = 32;

    // Zero grad, ManualBackward(loss / 2) and step every 2nd batch: automatic accumulation of 2 by hand.
    sealed class Module(bool manual) : LightningModule(new DigitsMlp())
    {
        public bool Manual { init => AutomaticOptimization = !value; }

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            if (!manual) return loss;
            var opt = Optimizers();
            if (batchIndex % 2 == 0) opt.ZeroGrad();
            ManualBackward(loss / 2);
            if (batchIndex % 2 == 1) opt.Step();
            return loss;
        }

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    /// <summary>Runs both fits on this rank and prints <c>MODE rank R sha256 HASH steps N</c> for each.</summary>
    public static int Run()
    {
        var launch = LaunchEnvironment.Current();
        using var data = new DigitsForDdp(BatchPerRank, InputLayout.Flat, Batches);
        foreach (bool manual in new[] { false, true })
        {
            // Different initial weights per rank: the strategy must start every rank from rank 0's.
            Seed.Everything(42 + launch.Rank);
            using var module = new Module(manual) { Manual = manual };
            var options = new TrainerOptions
            {
                MaxEpochs = 1, Accelerator = "cpu", Strategy = "ddp", EnableCheckpointing = false, LimitValBatches = 0,
                AccumulateGradBatches = manual ? 1 : 2, Ddp = new() { OverlapWithBackward = true },
            };
            var trainer = new Trainer(options);
            trainer.Fit(module, data);
            Console.WriteLine($"{(manual ? "manual" : "automatic")} rank {launch.Rank} sha256 {WeightsHash.Sha256(module.Network)} steps {trainer.GlobalStep}");
        }
        return 0;
    }
}
