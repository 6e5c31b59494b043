using Unified.Cli.Fit;
using Unified.Core.Models;

namespace Unified.Cli.Config;

/// <summary>
/// Every setting of <c>unified fit</c>, in the order <c>--print-config</c> writes them. The sections follow
/// LightningCLI's (<c>seed_everything</c>, <c>trainer</c>, <c>model</c>, <c>data</c>, <c>optimizer</c>, <c>ckpt_path</c>),
/// plus <c>framework</c> and <c>callbacks.model_checkpoint</c>.
/// </summary>
public static class FitKeys
{
    /// <summary>All keys; a flag or config value that is none of these is refused with the closest one suggested.</summary>
    public static IReadOnlyList<FitKey> All { get; } =
    [
        new("framework", "--framework", FitValueKind.Text, false, "Front-end: lightning or ignite.",
            s => s.Framework, (s, v) => s with { Framework = Lower(v) }),
        new("seed_everything", "--seed", FitValueKind.Long, false, "Seed of weights and data order.",
            s => s.Seed, (s, v) => s with { Seed = (long)v! }),
        new("trainer.max_epochs", "--epochs", FitValueKind.Integer, false, "Training epochs.",
            s => s.Epochs, (s, v) => s with { Epochs = (int)v! }),
        new("trainer.max_steps", "--max-steps", FitValueKind.Long, true, "Stop after this many optimiser steps (the epoch's end still runs).",
            s => s.MaxSteps, (s, v) => s with { MaxSteps = (long?)v }),
        new("trainer.accelerator", "--accelerator", FitValueKind.Text, false, "cpu, cuda or auto.",
            s => s.Accelerator, (s, v) => s with { Accelerator = Lower(v) }),
        new("trainer.devices", "--devices", FitValueKind.Integer, true,
            "Train data-parallel on N processes of this machine, started through mpirun (default 1; under an external 'mpirun -np N', its N).",
            s => s.Devices, (s, v) => s with { Devices = (int?)v }),
        new("trainer.threads", "--threads", FitValueKind.Integer, true, "libtorch intra-op threads (default: one per core, shared among the ranks of --devices).",
            s => s.Threads, (s, v) => s with { Threads = (int?)v }),
        new("trainer.precision", "--precision", FitValueKind.Text, false, $"Numerics: {string.Join(", ", Core.Numerics.PrecisionPlugins.Names)}.",
            s => s.Precision, (s, v) => s with { Precision = (string)v! }),
        new("trainer.accumulate_grad_batches", "--accumulate", FitValueKind.Integer, false, "Micro-batches per optimiser step.",
            s => s.Accumulate, (s, v) => s with { Accumulate = (int)v! }),
        new("trainer.gradient_clip_val", "--clip-grad", FitValueKind.Number, true, "Clip gradients to this total norm.",
            s => s.ClipGrad, (s, v) => s with { ClipGrad = (double?)v }),
        new("trainer.skip_non_finite_loss", "--skip-non-finite-loss", FitValueKind.Boolean, false, "Skip optimiser steps whose loss is NaN or infinite instead of failing.",
            s => s.SkipNonFiniteLoss, (s, v) => s with { SkipNonFiniteLoss = (bool)v! }),
        new("trainer.logger", "--logger", FitValueKind.List, false,
            "Experiment logger besides csv (metrics.csv and hparams.yaml, always written into the run folder): tensorboard " +
            "(events.out.tfevents.* in the run folder) or mlflow (the tracking server in MLFLOW_TRACKING_URI). Repeat for several.",
            s => s.Loggers, (s, v) => s with { Loggers = ((IReadOnlyList<string>)v!).Select(l => l.ToLowerInvariant()).ToList() }),
        new("trainer.default_root_dir", "--run-dir", FitValueKind.Text, true, "Run folder (default: runs/version_N).",
            s => s.RunDir, (s, v) => s with { RunDir = (string?)v }) { Saved = false },
        new("model.name", "--model", FitValueKind.Text, false, $"Model: {string.Join(" or ", DigitsModels.Names)} (mlp is 784-256-10).",
            s => s.Model, (s, v) => s with { Model = Lower(v) }),
        new("data.path", "--data", FitValueKind.Text, false, "'digits' (bundled 10,000 MNIST digits) or a path to MNIST IDX files.",
            s => s.Data, (s, v) => s with { Data = (string)v! }),
        new("data.batch_size", "--batch-size", FitValueKind.Integer, false, "Samples per batch.",
            s => s.BatchSize, (s, v) => s with { BatchSize = (int)v! }),
        new("data.test_fraction", "--test-fraction", FitValueKind.Number, false,
            "Share of the samples held out for 'unified test' (taken before the validation split).",
            s => s.TestFraction, (s, v) => s with { TestFraction = (double)v! }),
        new("optimizer.lr", "--lr", FitValueKind.Number, false, "Adam learning rate.",
            s => s.LearningRate, (s, v) => s with { LearningRate = (double)v! }),
        new("optimizer.fused", "--fused", FitValueKind.Boolean, false,
            "Step Adam with libtorch's fused kernel (PyTorch's fused=True) on one process: faster; the weights differ from TorchSharp's Adam in the last bits.",
            s => s.Fused, (s, v) => s with { Fused = (bool)v! }),
        new("callbacks.model_checkpoint.every_n_train_steps", "--ckpt-every-n-steps", FitValueKind.Integer, true,
            "Also write a resumable last.ckpt every N optimiser steps (always after every epoch).",
            s => s.CkptEveryNSteps, (s, v) => s with { CkptEveryNSteps = (int?)v }),
        new("ckpt_path", "--resume", FitValueKind.Text, true, "Resume from this checkpoint, up to the same --epochs / --max-steps as an uninterrupted run.",
            s => s.Resume, (s, v) => s with { Resume = (string?)v }) { Saved = false },
    ];

    /// <summary>The key at <paramref name="path"/> (case-insensitive, as Microsoft.Extensions.Configuration reads keys), or null.</summary>
    public static FitKey? Find(string path) => All.FirstOrDefault(k => string.Equals(k.Path, path, StringComparison.OrdinalIgnoreCase));

    static string Lower(object? value) => ((string)value!).Trim().ToLowerInvariant();
}
