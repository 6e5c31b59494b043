using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// An <see cref="ITrainingModule"/> from parts, as Ignite's <c>create_supervised_trainer(model, optimizer, loss_fn)</c>:
/// loss = lossFunction(network(input), target); validation logs <c>val_loss</c>.
/// </summary>
public sealed class SupervisedModule(
    nn.Module<Tensor, Tensor> network,
    Func<Tensor, Tensor, Tensor> lossFunction,
    optim.Optimizer optimizer) : TrainingModule(network)
{
    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex) => lossFunction(network.call(batch.Input), batch.Target);

    /// <inheritdoc />
    public override void ValidationStep(Batch batch, int batchIndex) =>
        Log("val_loss", lossFunction(network.call(batch.Input), batch.Target), batch.Size);

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers() => new(optimizer);
}
