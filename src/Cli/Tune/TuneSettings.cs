using Unified.Adapters;

namespace Unified.Cli.Tune;

/// <summary>Everything <c>unified tune</c> was asked for, validated before any work starts.</summary>
public sealed record TuneSettings
{
    /// <summary>The samplers <c>--sampler</c> accepts.</summary>
    public static IReadOnlyList<string> Samplers { get; } = ["tpe", "random"];

    /// <summary>The pruners <c>--pruner</c> accepts.</summary>
    public static IReadOnlyList<string> Pruners { get; } = ["median", "none"];

    /// <summary>The metrics <c>--monitor</c> accepts: maximised accuracy or minimised loss.</summary>
    public static IReadOnlyList<string> Monitors { get; } = ["val_accuracy", "val_loss"];

    /// <summary>The storage when <c>--storage</c> is not given: in memory, as Optuna's default.</summary>
    public const string DefaultStorage = "memory";

    /// <summary>Front-end every trial trains through: lightning or ignite.</summary>
    public string Framework { get; init; } = Frameworks.Lightning;

    /// <summary>Trials this process runs (others may add theirs to a shared study).</summary>
    public int Trials { get; init; } = 20;

    /// <summary>Epochs of each trial (fewer when it is pruned).</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>A storage URI: memory, sqlite:///PATH.db or redis://HOST:PORT/DB.</summary>
    public string Storage { get; init; } = DefaultStorage;

    /// <summary>The study's name: an existing study of that name in the storage is continued.</summary>
    public string Study { get; init; } = "digits-mlp";

    /// <summary>tpe or random.</summary>
    public string Sampler { get; init; } = "tpe";

    /// <summary>median or none.</summary>
    public string Pruner { get; init; } = "median";

    /// <summary>The metric reported each epoch and returned: val_accuracy (maximised) or val_loss (minimised).</summary>
    public string Monitor { get; init; } = "val_accuracy";

    /// <summary>Seed of the sampler, of every trial's weights and of the data order.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Cap on training batches per epoch (Lightning's <c>limit_train_batches</c>, Ignite's <c>epoch_length</c>); null: the whole split.</summary>
    public int? LimitTrainBatches { get; init; }

    /// <summary>libtorch intra-op threads; null for one per core.</summary>
    public int? Threads { get; init; }

    /// <summary>A folder for <c>optimization_history.png</c> and <c>param_importances.png</c>; null: no plots.</summary>
    public string? Plots { get; init; }

    /// <summary>Print the result as one JSON line at the end.</summary>
    public bool Json { get; init; }

    /// <summary>Throws <see cref="UsageException"/> naming the first invalid value and what is allowed.</summary>
    public void Validate()
    {
        Require(Frameworks.Names.Contains(Framework), $"--framework '{Framework}' is not known; use one of: {string.Join(", ", Frameworks.Names)}.");
        Require(Samplers.Contains(Sampler), $"--sampler '{Sampler}' is not known; use one of: {string.Join(", ", Samplers)}.");
        Require(Pruners.Contains(Pruner), $"--pruner '{Pruner}' is not known; use one of: {string.Join(", ", Pruners)}.");
        Require(Monitors.Contains(Monitor), $"--monitor '{Monitor}' is not known; use one of: {string.Join(", ", Monitors)}.");
        Require(Trials >= 1, $"--trials must be a positive integer; got {Trials}.");
        Require(Epochs >= 1, $"--epochs must be a positive integer; got {Epochs}.");
        Require(LimitTrainBatches is null or >= 1, $"--limit-train-batches must be a positive integer; got {LimitTrainBatches}.");
        Require(Threads is null or >= 1, $"--threads must be a positive integer; got {Threads}.");
        Require(!string.IsNullOrWhiteSpace(Study), "--study must name the study (e.g. digits-mlp).");
        Require(!string.IsNullOrWhiteSpace(Storage), $"--storage must be a storage URI: {DefaultStorage}, sqlite:///PATH.db or redis://HOST:PORT/DB.");
        if (Plots is not null)
        {
            Require(!string.IsNullOrWhiteSpace(Plots), "--plots must name a folder for the PNG charts.");
            Require(!File.Exists(Plots), $"--plots '{Plots}' is a file; pass a folder (it is created when missing).");
            foreach (string name in TuneRunner.PlotFiles)
                Require(!File.Exists(Path.Combine(Plots, name)), $"--plots '{Plots}' already holds {name}; choose another folder (plots never replace a file).");
        }
    }

    static void Require(bool condition, string message)
    {
        if (!condition) throw new UsageException(message);
    }
}
