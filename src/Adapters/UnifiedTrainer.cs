using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Adapters;

/// <summary>
/// Trains one <see cref="ITrainingModule"/> through either front-end with the same options; both take every step
/// through Core's kernel, so the same seed ends with the same weights, and a <see cref="LightningModule"/>'s hooks run
/// in the same order under both. The adapter only maps: <see cref="UnifiedTrainerOptions"/> become Lightning's
/// <c>TrainerOptions</c> and callbacks, or Ignite's <c>SupervisedFit</c> with its handlers.
/// </summary>
/// <example><code>
/// var result = new UnifiedTrainer("ignite", new UnifiedTrainerOptions { MaxEpochs = 3 }).Fit(module, data);
/// Console.WriteLine(result.FinalMetrics["val_accuracy"]);
/// </code></example>
public sealed partial class UnifiedTrainer
{
    readonly UnifiedTrainerOptions options;

    /// <summary>Picks the front-end by name: <c>lightning</c> or <c>ignite</c>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Frameworks.Names"/>.</exception>
    public UnifiedTrainer(string framework, UnifiedTrainerOptions? options = null)
    {
        string name = framework?.Trim().ToLowerInvariant() ?? "";
        if (!Frameworks.Names.Contains(name))
            throw new ArgumentException($"Unknown framework '{framework}'. Valid names: {string.Join(", ", Frameworks.Names)}.", nameof(framework));
        Framework = name;
        this.options = options ?? new UnifiedTrainerOptions();
        this.options.Check();
    }

    /// <summary>The front-end this trainer runs.</summary>
    public string Framework { get; }

    /// <summary>The best checkpoint of the last fit by <see cref="Core.Checkpointing.CheckpointPolicy.Monitor"/>, or null.</summary>
    public string? BestCheckpoint { get; private set; }

    /// <summary>Trains <paramref name="module"/> on <paramref name="data"/> for <see cref="UnifiedTrainerOptions.MaxEpochs"/> epochs.</summary>
    public FitResult Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        var clock = Stopwatch.StartNew();
        var (history, steps, group) = Framework == Frameworks.Lightning
            ? FitLightning(module, data, cancellationToken)
            : FitIgnite(module, data, cancellationToken);
        // Samples of the unsharded split: under data parallelism every rank's share counts once (padding aside).
        return new FitResult(Framework, history, steps, (long)data.Train.SampleCount * history.Count, clock.Elapsed.TotalSeconds,
            group.WorldSize, group.Rank == 0);
    }

    /// <summary>
    /// Runs the validation split once and returns its logged means; with <paramref name="ckptPath"/> (a file, or
    /// <c>"best"</c> / <c>"last"</c> of the last fit) the weights are loaded from it first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has no validation split, or the checkpoint cannot be found.</exception>
    public IReadOnlyDictionary<string, double> Validate(ITrainingModule module, IDataModule data, string? ckptPath = null) =>
        Framework == Frameworks.Lightning ? LightningTrainer().Validate(module, data, Resolve(ckptPath)) : IgniteValidate(module, data, Resolve(ckptPath));

    /// <summary>Runs the test split once through <see cref="LightningModule.TestStep"/> and returns its logged means; <paramref name="ckptPath"/> as for <see cref="Validate"/>.</summary>
    /// <exception cref="InvalidOperationException">The data has no test split, the module no test step, or the checkpoint cannot be found.</exception>
    public IReadOnlyDictionary<string, double> Test(LightningModule module, IDataModule data, string? ckptPath = null) =>
        Framework == Frameworks.Lightning ? LightningTrainer().Test(module, data, Resolve(ckptPath)) : IgniteTest(module, data, Resolve(ckptPath));

    /// <summary>
    /// Predicts the predict split (or the test split) with <see cref="LightningModule.PredictStep"/>: one tensor per
    /// batch, owned by the caller; <paramref name="ckptPath"/> as for <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has neither a predict nor a test split, or the checkpoint cannot be found.</exception>
    public IReadOnlyList<Tensor> Predict(LightningModule module, IDataModule data, string? ckptPath = null) =>
        Framework == Frameworks.Lightning ? LightningTrainer().Predict(module, data, Resolve(ckptPath)) : IgnitePredict(module, data, Resolve(ckptPath));

    string? Resolve(string? ckptPath) => ckptPath switch
    {
        "best" => BestCheckpoint ?? throw new InvalidOperationException("ckptPath \"best\": the last fit kept no best checkpoint; set Checkpoints.SaveTopK and Monitor, fit first, or pass a file."),
        "last" => options.CheckpointDir is { } dir && File.Exists(Path.Combine(dir, ModelCheckpoint.LastName)) ? Path.Combine(dir, ModelCheckpoint.LastName)
            : throw new InvalidOperationException("ckptPath \"last\": there is no last.ckpt in CheckpointDir; set CheckpointDir, fit first, or pass a file."),
        null => null,
        _ => File.Exists(ckptPath) ? ckptPath : throw new InvalidOperationException($"Checkpoint '{ckptPath}' does not exist; pass a file written by a fit, \"best\" or \"last\"."),
    };
}
