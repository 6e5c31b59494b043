using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// The training module behind <c>create_supervised_trainer(model, optimizer, loss_fn, …)</c>: loss =
/// lossFn(modelTransform(model(x)), y), logged as the epoch mean <c>train_loss</c> (a device-side running sum, read at
/// epoch end), with an optional scheduler. When an output transform needs the prediction, the last one is kept.
/// </summary>
internal sealed class SupervisedStep(
    nn.Module<Tensor, Tensor> model,
    Func<Tensor, Tensor, Tensor> lossFunction,
    OptimizerConfig optimizers,
    Func<Tensor, Tensor>? modelTransform,
    bool keepPrediction) : TrainingModule(model)
{
    Tensor? prediction;

    /// <summary>The last micro-batch's prediction (detached), when an output transform asked for it.</summary>
    public Tensor? LastPrediction => prediction;

    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var yPred = Forward(batch.Input);
        var loss = lossFunction(yPred, batch.Target);
        Log("train_loss", loss, batch.Size);
        if (keepPrediction)
        {
            prediction?.Dispose();
            prediction = yPred.detach().DetachFromDisposeScope();
        }
        return loss;
    }

    public override void ValidationStep(Batch batch, int batchIndex) =>
        Log("val_loss", lossFunction(Forward(batch.Input), batch.Target), batch.Size);

    public override OptimizerConfig ConfigureOptimizers() => optimizers;

    Tensor Forward(Tensor input)
    {
        var output = model.call(input);
        return modelTransform is null ? output : modelTransform(output);
    }

    public override void Dispose()
    {
        prediction?.Dispose();
        prediction = null;
        base.Dispose();
    }
}
