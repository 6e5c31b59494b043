using Unified.Adapters;
using Unified.Core.Accelerators;
using Unified.Core.Models;

namespace Unified.Cli.Fit;

/// <summary>Everything <c>unified fit</c> was asked for, validated before any work starts.</summary>
public sealed record FitSettings
{
    /// <summary>Front-end: lightning or ignite.</summary>
    public string Framework { get; init; } = Frameworks.Lightning;

    /// <summary>Model: mlp or cnn.</summary>
    public string Model { get; init; } = "mlp";

    /// <summary>"digits" for the bundled set, or a path to MNIST IDX files.</summary>
    public string Data { get; init; } = "digits";

    /// <summary>Training epochs.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Share of the samples held out for <c>unified test</c>, taken before the validation split (0: none).</summary>
    public double TestFraction { get; init; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of weights and data order.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>cpu, cuda or auto.</summary>
    public string Accelerator { get; init; } = "cpu";

    /// <summary>Processes to train data-parallel on this machine (started through mpirun); null: one, or whatever an external mpirun started.</summary>
    public int? Devices { get; init; }

    /// <summary>libtorch intra-op threads; null for libtorch's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Numerics of the step, e.g. 32-true or bf16-mixed.</summary>
    public string Precision { get; init; } = "32-true";

    /// <summary>Micro-batches per optimiser step.</summary>
    public int Accumulate { get; init; } = 1;

    /// <summary>Gradient clip (by norm); null disables.</summary>
    public double? ClipGrad { get; init; }

    /// <summary>Skip optimiser steps whose loss is NaN or infinite instead of failing.</summary>
    public bool SkipNonFiniteLoss { get; init; }

    /// <summary>Step Adam with libtorch's fused kernel (PyTorch's <c>fused=True</c>): faster, not bitwise TorchSharp's Adam.</summary>
    public bool Fused { get; init; }

    /// <summary>Stop after this many optimiser steps; null: run all epochs.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Also write last.ckpt every this many optimiser steps; null: after every epoch only.</summary>
    public int? CkptEveryNSteps { get; init; }

    /// <summary>Checkpoint to resume from; the run continues to the same epochs / max steps as an uninterrupted one.</summary>
    public string? Resume { get; init; }

    /// <summary>Run folder; null creates runs/version_N (or, with a resume, the checkpoint's folder).</summary>
    public string? RunDir { get; init; }

    /// <summary>Experiment loggers writing into the run folder: <c>csv</c>, <c>tensorboard</c>, <c>mlflow</c> (lower case, no repeats).</summary>
    public IReadOnlyList<string> Loggers { get; init; } = [];

    /// <summary>Print the result as one JSON line at the end.</summary>
    public bool Json { get; init; }

    /// <summary>Throws <see cref="UsageException"/> naming the first invalid value and what is allowed.</summary>
    public void Validate()
    {
        Require(Frameworks.Names.Contains(Framework), $"--framework '{Framework}' is not known; use one of: {string.Join(", ", Frameworks.Names)}.");
        Require(DigitsModels.Names.Contains(Model), $"--model '{Model}' is not known; use one of: {string.Join(", ", DigitsModels.Names)}.");
        Require(Core.Accelerators.Accelerator.Names.Contains(Accelerator), $"--accelerator '{Accelerator}' is not known; use one of: {string.Join(", ", Core.Accelerators.Accelerator.Names)}.");
        foreach (string logger in Loggers)
            Require(FitLoggers.Names.Contains(logger), $"--logger '{logger}' is not known; use one of: {string.Join(", ", FitLoggers.Names)} (repeat --logger for several).");
        Require(Loggers.Distinct().Count() == Loggers.Count, $"--logger lists '{Loggers.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1)?.Key}' twice; give each logger once.");
        Require(Core.Numerics.PrecisionPlugins.Names.Contains(Precision), $"--precision '{Precision}' is not known; use one of: {string.Join(", ", Core.Numerics.PrecisionPlugins.Names)}.");
        Require(Epochs >= 1, $"--epochs must be a positive integer; got {Epochs}.");
        Require(BatchSize >= 1, $"--batch-size must be a positive integer; got {BatchSize}.");
        // The optimisers compute in float32: lr / (1 - beta1) overflowed it for 1e38.
        Require(LearningRate > 0 && LearningRate <= 1e30, $"--lr must be a positive number up to 1e+30; got {LearningRate}.");
        Require(Threads is null or >= 1, $"--threads must be a positive integer; got {Threads}.");
        Require(Devices is null or >= 1, $"--devices must be a positive integer; got {Devices}.");
        Require(Accumulate >= 1, $"--accumulate must be a positive integer; got {Accumulate}.");
        Require(ClipGrad is null || (ClipGrad > 0 && double.IsFinite(ClipGrad.Value)), $"--clip-grad must be a positive number; got {ClipGrad}.");
        Require(MaxSteps is null or >= 1, $"--max-steps must be a positive integer; got {MaxSteps}.");
        Require(CkptEveryNSteps is null or >= 1, $"--ckpt-every-n-steps must be a positive integer; got {CkptEveryNSteps}.");
        Require(Resume is null || !Directory.Exists(Resume), $"--resume '{Resume}' is a folder; pass the checkpoint file inside it, e.g. {Path.Combine(Resume ?? "", "last.ckpt")}.");
        Require(Resume is null || File.Exists(Resume), $"--resume '{Resume}' does not exist; pass a checkpoint file such as runs/version_0/last.ckpt.");
        Require(RunDir is null || !string.IsNullOrWhiteSpace(RunDir), "--run-dir must name a folder; omit it for the next runs/version_N.");
        Require(RunDir is null || !File.Exists(RunDir), $"--run-dir '{RunDir}' is a file; pass a folder (it is created when missing).");
        Require(TestFraction >= 0 && TestFraction < 0.8, $"--test-fraction must be at least 0 and below 0.8 (the validation split takes 0.2); got {TestFraction}.");
        Require(!string.IsNullOrWhiteSpace(Data), "--data must be 'digits' or a path to MNIST IDX files.");
    }

    static void Require(bool condition, string message)
    {
        if (!condition) throw new UsageException(message);
    }
}
