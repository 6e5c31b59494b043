using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// The one model contract both front-ends run: a network, a training step that returns the loss, an optional
/// validation step, and the optimiser set-up. Lightning's <c>LightningModule</c> implements it; Ignite's
/// <c>Supervised.CreateTrainer</c> consumes it.
/// </summary>
public interface ITrainingModule
{
    /// <summary>The network whose parameters are trained.</summary>
    nn.Module Network { get; }

    /// <summary>Values the steps logged, collected by the loop that runs them.</summary>
    LoggedMetrics Logged { get; }

    /// <summary>Computes the loss of one training batch (a scalar with a graph); the kernel runs backward and the step.</summary>
    Tensor TrainingStep(Batch batch, int batchIndex);

    /// <summary>Evaluates one validation batch under no-grad, logging what it measures (e.g. <c>val_loss</c>).</summary>
    void ValidationStep(Batch batch, int batchIndex) { }

    /// <summary>
    /// The optimiser (and optional learning-rate scheduler) for <see cref="Network"/>'s parameters, or several made with
    /// <see cref="OptimizerConfig.Many"/>, which a front-end steps only under manual optimisation.
    /// </summary>
    OptimizerConfig ConfigureOptimizers();

    /// <summary>
    /// Hyper-parameters that experiment loggers record when fitting starts (Lightning's <c>hparams</c>); numbers,
    /// strings, booleans, enums and nested dictionaries of them. Empty unless the module says otherwise.
    /// </summary>
    IReadOnlyDictionary<string, object?> Hyperparameters => new Dictionary<string, object?>();
}
