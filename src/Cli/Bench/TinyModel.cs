using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// The step-overhead model of <c>unified bench</c> (and of benchmarks/Unified.Benchmarks): Linear 10→1, batch 8, SGD
/// (lr 0.01), MSE. Its arithmetic is a few microseconds, so a step's time is mostly per-step overhead.
/// </summary>
internal static class TinyModel
{
    /// <summary>1,000 shuffled batches of 8 random samples (fixed seeds); the caller disposes it.</summary>
    public static TensorDataLoader Loader()
    {
        var generator = new Generator(7);
        return new TensorDataLoader(randn([8000, 10], generator: generator), randn([8000, 1], generator: generator), 8, shuffle: true, seed: 42);
    }

    /// <summary>The loss: mean squared error.</summary>
    public static Tensor Mse(Tensor output, Tensor target) => nn.functional.mse_loss(output, target);

    /// <summary>A fresh network and optimiser; the module and the hand-written loop share both.</summary>
    public static (TrainingModule Module, nn.Module<Tensor, Tensor> Network, optim.Optimizer Optimizer) Create()
    {
        var network = nn.Linear(10, 1);
        var optimizer = optim.SGD(network.parameters(), 0.01);
        return (new SupervisedModule(network, Mse, optimizer), network, optimizer);
    }
}
