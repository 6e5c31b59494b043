using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// A model for the <see cref="Trainer"/>, as PyTorch Lightning's <c>LightningModule</c>: override
/// <see cref="TrainingModule.TrainingStep"/>, <see cref="TrainingModule.ValidationStep"/>, <see cref="TestStep"/>,
/// <see cref="PredictStep"/> and <see cref="TrainingModule.ConfigureOptimizers"/>, log with <c>Log(...)</c>, and
/// override any of Lightning's hooks (see the <c>LightningModule.Hooks.cs</c> part); hooks not overridden cost nothing.
/// </summary>
/// <example><code>
/// class LitMlp() : LightningModule(new DigitsMlp())
/// {
///     public override Tensor TrainingStep(Batch batch, int i) =&gt; nn.functional.cross_entropy(Network.call(batch.Input), batch.Target);
///     public override OptimizerConfig ConfigureOptimizers() =&gt; new(optim.Adam(Network.parameters(), 1e-3));
/// }
/// </code></example>
public abstract partial class LightningModule(nn.Module<Tensor, Tensor> network) : TrainingModule(network)
{
    /// <summary>The running trainer as the module may see it (Lightning's <c>self.trainer</c>); null outside an entry point.</summary>
    public TrainerView? Trainer { get; internal set; }

    /// <summary>The network's forward pass (Lightning's <c>forward</c>).</summary>
    public virtual Tensor Forward(Tensor input) => network.call(input);

    /// <summary>Evaluates one test batch under no-grad, logging what it measures (Lightning's <c>test_step</c>).</summary>
    public virtual void TestStep(Batch batch, int batchIndex) { }

    /// <summary>The prediction for one batch under no-grad (Lightning's <c>predict_step</c>); by default <see cref="Forward"/> of its input.</summary>
    public virtual Tensor PredictStep(Batch batch, int batchIndex) => Forward(batch.Input);
}
