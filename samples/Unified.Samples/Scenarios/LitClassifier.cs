using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>A LightningModule for the digits: what a step is, nothing about how it runs.</summary>
public sealed class LitClassifier(nn.Module<Tensor, Tensor> network, double learningRate = 1e-3) : LightningModule(network)
{
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, progressBar: true);
        return loss;
    }

    public override void ValidationStep(Batch batch, int batchIndex) => Measure("val", batch);

    public override void TestStep(Batch batch, int batchIndex) => Measure("test", batch);

    public override Tensor PredictStep(Batch batch, int batchIndex) => Forward(batch.Input).argmax(1);

    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), learningRate));

    void Measure(string prefix, Batch batch)
    {
        var logits = Forward(batch.Input);
        Log($"{prefix}_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log($"{prefix}_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }
}
