using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// A model for the <see cref="Trainer"/>, as PyTorch Lightning's <c>LightningModule</c>: override
/// <see cref="TrainingModule.TrainingStep"/>, <see cref="TrainingModule.ValidationStep"/> and
/// <see cref="TrainingModule.ConfigureOptimizers"/>, log with <c>Log(...)</c>, and hook into the loop if needed.
/// </summary>
/// <example><code>
/// class LitMlp() : LightningModule(new DigitsMlp())
/// {
///     public override Tensor TrainingStep(Batch batch, int i) =&gt; nn.functional.cross_entropy(Network.call(batch.Input), batch.Target);
///     public override OptimizerConfig ConfigureOptimizers() =&gt; new(optim.Adam(Network.parameters(), 1e-3));
/// }
/// </code></example>
public abstract class LightningModule(nn.Module<Tensor, Tensor> network) : TrainingModule(network)
{
    /// <summary>The network's forward pass (Lightning's <c>forward</c>).</summary>
    public virtual Tensor Forward(Tensor input) => network.call(input);

    /// <summary>Called once when fitting starts.</summary>
    public virtual void OnFitStart() { }

    /// <summary>Called when a training epoch starts (0-based).</summary>
    public virtual void OnTrainEpochStart(int epoch) { }

    /// <summary>Called after the epoch's training and validation, with the epoch's logged means.</summary>
    public virtual void OnTrainEpochEnd(EpochResult result) { }

    /// <summary>Called once when fitting ends, also when it fails.</summary>
    public virtual void OnFitEnd() { }
}
