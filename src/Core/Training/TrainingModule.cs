using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>A convenient base for <see cref="ITrainingModule"/>: owns the network and offers <see cref="Log"/>.</summary>
public abstract class TrainingModule(nn.Module network) : ITrainingModule, IDisposable
{
    /// <inheritdoc />
    public nn.Module Network { get; } = network;

    /// <inheritdoc />
    public LoggedMetrics Logged { get; } = new();

    /// <summary>
    /// Hyper-parameters that experiment loggers record when fitting starts; set them in the constructor (Lightning's
    /// <c>save_hyperparameters()</c> / <c>self.hparams</c>).
    /// </summary>
    /// <example><code>Hyperparameters["lr"] = learningRate;</code></example>
    public IDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    IReadOnlyDictionary<string, object?> ITrainingModule.Hyperparameters => (Dictionary<string, object?>)Hyperparameters;

    /// <inheritdoc />
    public abstract Tensor TrainingStep(Batch batch, int batchIndex);

    /// <inheritdoc />
    public virtual void ValidationStep(Batch batch, int batchIndex) { }

    /// <inheritdoc />
    public abstract OptimizerConfig ConfigureOptimizers();

    /// <summary>
    /// Records a scalar for the epoch's batch-size-weighted mean, without a device sync (as Lightning's <c>self.log</c>
    /// with <c>on_epoch=True</c>).
    /// </summary>
    /// <example><code>Log("val_loss", loss, batch.Size);</code></example>
    protected void Log(string name, Tensor value, int batchSize = 1, bool progressBar = false) =>
        Logged.Add(name, value, batchSize, progressBar);

    /// <inheritdoc />
    public virtual void Dispose()
    {
        Logged.Dispose();
        Network.Dispose();
        GC.SuppressFinalize(this);
    }
}
