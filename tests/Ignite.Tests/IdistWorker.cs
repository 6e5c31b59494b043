using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite.Distributed;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>A rank of the 2-rank idist test (run under mpirun by <see cref="IdistTests"/>).</summary>
public static class IdistWorker
{
    /// <summary>Trains the digits MLP through Idist's helpers and prints the rank, its batches and its weights' hash.</summary>
    public static int Main(string[] args)
    {
        if (args is not ["idist"])
        {
            Console.Error.WriteLine("usage: dotnet Unified.Ignite.Tests.dll idist");
            return 2;
        }
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var parallel = new Idist.Parallel();
        parallel.Run(Train, 42L);
        return 0;
    }

    static void Train(int localRank, long seed)
    {
        // Different initial weights per rank: AutoModel's trainer broadcasts rank 0's.
        manual_seed(seed + Idist.GetRank());
        var model = Idist.AutoModel(new DigitsMlp());
        var optimizer = Idist.AutoOptim(optim.SGD(model.parameters(), 0.05));
        manual_seed(seed);
        using var inputs = randn(256, 784);
        using var targets = randint(0, 10, [256]);
        var loader = Idist.AutoDataloader(inputs, targets, batchSize: 64, shuffle: true, seed: seed);
        var trainer = Supervised.CreateSupervisedTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), device: "cpu");
        int batchSize = 0;
        trainer.On(Events.IterationCompleted.Once(1), e => batchSize = e.State.Batch!.Size);
        int printed = 0;
        trainer.On(Events.Completed, Idist.OneRankOnly(_ => printed++, rank: 1, withBarrier: true));
        var state = trainer.Run(loader, maxEpochs: 2);
        Console.WriteLine($"PASS idist rank {Idist.GetRank()} local {localRank} of {Idist.GetWorldSize()} iterations {state.Iteration} batch {batchSize} printed {printed} weights {WeightsHash.Sha256(model)}");
    }
}
