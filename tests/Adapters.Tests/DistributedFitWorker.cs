using System.Globalization;
using Unified.Core.Checkpointing;
using Unified.Core.Distributed;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using static TorchSharp.torch;

namespace Unified.Adapters.Tests;

/// <summary>
/// What every rank of the front-end DDP tests runs (<c>mpirun -np 2 dotnet Unified.Adapters.Tests.dll MODEL DIR</c>):
/// 50 steps of the digits model through both front-ends with the <c>ddp</c> strategy and batch 32 per rank; each rank
/// saves its final weights to DIR and prints their hash and the reduced validation accuracy.
/// </summary>
public static class DistributedFitWorker
{
    /// <summary>Steps and per-rank batch size of the runs.</summary>
    public const int Steps = 50, BatchPerRank = 32;

    /// <summary>The test assembly's entry point (xunit does not use it).</summary>
    public static int Main(string[] args)
    {
        if (args is ["manual", _])
        {
            TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
            return ManualDdpWorker.Run();
        }
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: dotnet Unified.Adapters.Tests.dll mlp|cnn|manual OUTPUT_DIR");
            return 2;
        }
        string model = args[0], directory = args[1];
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        var launch = LaunchEnvironment.Current();
        using var data = new DigitsForDdp(BatchPerRank, DigitsModels.LayoutOf(model), Steps);
        foreach (string framework in Frameworks.Names)
        {
            // Different initial weights per rank: the strategy must start every rank from rank 0's.
            Seed.Everything(42 + launch.Rank);
            using var module = new ClassificationModule(DigitsModels.Create(model), 1e-3);
            var result = new UnifiedTrainer(framework, new UnifiedTrainerOptions { MaxEpochs = 1, Accelerator = "cpu", Strategy = "ddp" }).Fit(module, data);
            if (result.Steps != Steps || result.WorldSize != 2 || result.IsGlobalZero != (launch.Rank == 0))
                throw new InvalidOperationException($"{framework}: {result.Steps} steps, world size {result.WorldSize}, global zero {result.IsGlobalZero} on rank {launch.Rank}");
            Save(module.Network, Path.Combine(directory, $"{framework}-rank{launch.Rank}.pt"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{framework} rank {launch.Rank} sha256 {WeightsHash.Sha256(module.Network)} val_accuracy {result.FinalMetrics["val_accuracy"]:R} val_loss {result.FinalMetrics["val_loss"]:R}"));
        }
        // An Ignite evaluator with a metric over this rank's share of the validation digits, synced over the ranks.
        using var group = ProcessGroups.FromEnvironment();
        Seed.Everything(42);
        using var network = DigitsModels.Create(model);
        var shard = new ShardedDataModule(data, group).Validation!;
        using var accuracy = new Accuracy();
        var metrics = Supervised.CreateEvaluator(network, new Dictionary<string, Metric> { ["accuracy"] = accuracy }, "cpu", group).Run(shard).Metrics;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evaluator rank {launch.Rank} samples {shard.SampleCount} accuracy {metrics["accuracy"]:R}"));
        return 0;
    }

    /// <summary>Every state-dict entry, flattened to float64 in state-dict order.</summary>
    public static Tensor Flatten(nn.Module network)
    {
        using var scope = NewDisposeScope();
        return cat(network.state_dict().Values.Select(t => t.detach().to_type(ScalarType.Float64).flatten()).ToArray()).MoveToOuterDisposeScope();
    }

    static void Save(nn.Module network, string path)
    {
        using var flat = Flatten(network);
        flat.save(path);
    }
}
