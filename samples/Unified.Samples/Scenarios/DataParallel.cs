using System.Diagnostics;
using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>
/// Data-parallel training on 2 ranks: this program starts itself under <c>mpirun -np 2</c>; every rank trains its shard
/// and gradients are averaged after each backward, so both ranks end with the same weights (printed as a hash).
/// </summary>
public static class DataParallel
{
    public static int Run(SampleOptions options)
    {
        if (options.Value("--rank-of") is { } framework) return Rank(framework, options);
        if (Mpirun() is not { } mpirun)
        {
            Console.WriteLine("mpirun is not on PATH (apt-get install openmpi-bin libopenmpi-dev); nothing to launch.");
            // Outside CI a smoke run passes without Open MPI; CI installs it (scripts/test.sh), so there it must run.
            return options.Smoke && Environment.GetEnvironmentVariable("CI") != "true" ? 0 : 1;
        }
        foreach (string name in new[] { "lightning", "ignite" })
        {
            var start = new ProcessStartInfo(mpirun) { UseShellExecute = false };
            foreach (string arg in new[] { "-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "UNIFIED_MALLOC_TUNING" }) start.ArgumentList.Add(arg);
            if (Environment.UserName == "root") start.ArgumentList.Add("--allow-run-as-root");
            start.ArgumentList.Add(Environment.ProcessPath!);
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(DataParallel).Assembly.Location);
            foreach (string arg in new[] { "--scenario", "data-parallel", "--rank-of", name, "--out", Path.Combine(options.WorkDir, name) }) start.ArgumentList.Add(arg);
            if (options.Smoke) start.ArgumentList.Add("--smoke");
            start.Environment["UNIFIED_MALLOC_TUNING"] = Environment.GetEnvironmentVariable("UNIFIED_MALLOC_TUNING") ?? "1";
            start.Environment["TERM"] = "dumb";
            Console.WriteLine($"$ {mpirun} {string.Join(' ', start.ArgumentList)}");
            using var process = Process.Start(start)!;
            process.WaitForExit();
            if (process.ExitCode != 0) return process.ExitCode;
        }
        return 0;
    }

    static int Rank(string framework, SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        long steps = options.Smoke ? 5 : 125;
        nn.Module network;
        int rank, world;
        if (framework == "lightning")
        {
            var module = new LitClassifier(new DigitsMlp());
            var trainer = new Trainer(new TrainerOptions { Strategy = "ddp", Devices = 2, MaxEpochs = 1, MaxSteps = steps, LimitValBatches = 4, Accelerator = "cpu" });
            trainer.Fit(module, data);
            (network, rank, world) = (module.Network, trainer.IsGlobalZero ? 0 : 1, trainer.WorldSize);
        }
        else
        {
            using var group = ProcessGroups.FromEnvironment();
            var model = new DigitsMlp();
            var trainer = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3), (logits, y) => nn.functional.cross_entropy(logits, y),
                new SupervisedTrainerOptions { Accelerator = "cpu", ProcessGroup = group });
            trainer.Run(new ShardedDataModule(data, group).Train, maxEpochs: 1, epochLength: (int)steps);
            (network, rank, world) = (model, group.Rank, group.WorldSize);
        }
        Console.WriteLine($"{framework} rank {rank} of {world}: weights {WeightsHash.Sha256(network)[..16]}");
        return 0;
    }

    static string? Mpirun() => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists);
}
