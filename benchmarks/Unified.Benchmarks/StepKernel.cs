using BenchmarkDotNet.Attributes;
using Unified.Cli.Bench;
using Unified.Core.Data;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Benchmarks;

/// <summary>
/// One training epoch of a model through the hand-written TorchSharp loop (the baseline), the Lightning front-end
/// (a <see cref="Trainer"/> per epoch, whole hook set and <c>Log</c>) and the Ignite front-end (a supervised engine per
/// epoch), the loops <c>unified bench</c> times (src/Cli/Bench/EpochTimer.cs). Each benchmark reports per step:
/// <c>OperationsPerInvoke</c> is the epoch's step count, so the front-end's per-epoch set-up is spread over its steps.
/// One libtorch thread; the network and optimiser live across epochs (training just continues).
/// </summary>
public abstract class StepKernel
{
    nn.Module<Tensor, Tensor> network = null!;
    optim.Optimizer optimizer = null!;
    TrainingModule module = null!;
    IDisposable data = null!;
    IBatchLoader train = null!;
    BenchLightningModule lightning = null!;
    Func<Tensor, Tensor, Tensor> loss = null!;
    int epoch;

    /// <summary>The model, its optimiser and loss, and the loader of one epoch (whose batch count is the step count).</summary>
    protected abstract (TrainingModule Module, nn.Module<Tensor, Tensor> Network, optim.Optimizer Optimizer, Func<Tensor, Tensor, Tensor> Loss, IDisposable Data, IBatchLoader Train) Build();

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        Seed.Everything(42);
        (module, network, optimizer, loss, data, train) = Build();
        lightning = new BenchLightningModule(network, optimizer, loss);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        module.Dispose(); // the Lightning module shares its network and optimiser
        optimizer.Dispose();
        data.Dispose();
    }

    protected int StepsOfHandWritten() => RawLoop.TrainEpoch(network, optimizer, train, epoch++, loss);

    protected void StepsOfLightning()
    {
        new Trainer(EpochTimer.BenchTrainerOptions()).Fit(lightning, new TrainOnly(train));
        lightning.Logged.Dispose();
    }

    protected void StepsOfIgnite() =>
        Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" }).Run(train, maxEpochs: 1);
}

/// <summary>The step-overhead model of <c>unified bench</c>: Linear 10→1, batch 8, SGD, MSE; 1,000 steps an epoch.</summary>
[MemoryDiagnoser]
public class TinyLinearStep : StepKernel
{
    const int Steps = 1000;

    protected override (TrainingModule, nn.Module<Tensor, Tensor>, optim.Optimizer, Func<Tensor, Tensor, Tensor>, IDisposable, IBatchLoader) Build()
    {
        var (module, network, optimizer) = TinyModel.Create();
        var loader = TinyModel.Loader();
        if (loader.Count != Steps) throw new InvalidOperationException($"The tiny loader has {loader.Count} batches, the benchmark divides by {Steps}.");
        return (module, network, optimizer, TinyModel.Mse, loader, loader);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "hand-written")]
    public int HandWritten() => StepsOfHandWritten();

    [Benchmark(OperationsPerInvoke = Steps, Description = "lightning")]
    public void Lightning() => StepsOfLightning();

    [Benchmark(OperationsPerInvoke = Steps, Description = "ignite")]
    public void Ignite() => StepsOfIgnite();
}

/// <summary>The digits MLP 784-256-10 of <c>unified fit</c>: batch 64, Adam (lr 1e-3), cross-entropy; 125 steps an epoch.</summary>
[MemoryDiagnoser]
public class DigitsMlpStep : StepKernel
{
    const int Steps = 125;

    protected override (TrainingModule, nn.Module<Tensor, Tensor>, optim.Optimizer, Func<Tensor, Tensor, Tensor>, IDisposable, IBatchLoader) Build()
    {
        var (module, network, optimizer) = OverheadBenchmark.Mlp();
        var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        if (data.Train.Count != Steps) throw new InvalidOperationException($"The digits training split has {data.Train.Count} batches, the benchmark divides by {Steps}.");
        return (module, network, optimizer, (output, target) => nn.functional.cross_entropy(output, target), data, data.Train);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "hand-written")]
    public int HandWritten() => StepsOfHandWritten();

    [Benchmark(OperationsPerInvoke = Steps, Description = "lightning")]
    public void Lightning() => StepsOfLightning();

    [Benchmark(OperationsPerInvoke = Steps, Description = "ignite")]
    public void Ignite() => StepsOfIgnite();
}
