using Unified.Core.Checkpointing;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>
/// Each option is declared once, in UnifiedTrainerOptions (or a Core policy record it holds), and mapped in one place
/// per front-end. This guards the mapping: every option either reaches both front-ends' options with its value, or is
/// listed with where it is realised instead, so an option added later cannot be silently dropped by one front-end.
/// </summary>
public sealed class UnifiedTrainerOptionsMappingTests
{
    sealed record Mapping(Action<UnifiedTrainerOptions> Set, Func<TrainerOptions, object?> Lightning, Func<SupervisedFitOptions, object?> Ignite, object? Expected);

    static readonly HistogramOptions Histograms = new();
    static readonly Core.Distributed.DdpOptions Ddp = new();

    static readonly Dictionary<string, Mapping> Mapped = new()
    {
        ["MaxEpochs"] = new(o => o.MaxEpochs = 7, l => l.MaxEpochs, i => i.MaxEpochs, 7),
        ["MaxSteps"] = new(o => o.MaxSteps = 11, l => l.MaxSteps, i => i.MaxSteps, 11L),
        ["Accelerator"] = new(o => o.Accelerator = "cpu", l => l.Accelerator, i => i.Trainer.Accelerator, "cpu"),
        ["Precision"] = new(o => o.Precision = "bf16-mixed", l => l.Precision, i => i.Trainer.Precision, "bf16-mixed"),
        ["Ddp"] = new(o => o.Ddp = Ddp, l => l.Ddp, i => i.Trainer.Ddp, Ddp),
        ["AccumulateGradBatches"] = new(o => o.AccumulateGradBatches = 3, l => l.AccumulateGradBatches, i => i.Trainer.GradientAccumulationSteps, 3),
        ["GradientClipValue"] = new(o => o.GradientClipValue = 0.5, l => l.GradientClipVal, i => i.Trainer.ClipGradient, 0.5),
        ["GradientClipAlgorithm"] = new(o => o.GradientClipAlgorithm = GradientClipAlgorithm.Value, l => l.GradientClipAlgorithm, i => i.Trainer.ClipAlgorithm, GradientClipAlgorithm.Value),
        ["SkipNonFiniteLoss"] = new(o => o.SkipNonFiniteLoss = true, l => l.SkipNonFiniteLoss, i => i.Trainer.SkipNonFiniteLoss, true),
        ["Validate"] = new(o => o.Validate = false, l => l.LimitValBatches == 0 ? false : (object)true, i => i.Validate, false),
        ["CheckValEveryNEpoch"] = new(o => o.CheckValEveryNEpoch = 3, l => l.CheckValEveryNEpoch, i => i.CheckValEveryNEpoch, 3),
        ["NumSanityValSteps"] = new(o => o.NumSanityValSteps = 5, l => l.NumSanityValSteps, i => i.NumSanityValSteps, 5),
        ["LogEveryNSteps"] = new(o => o.LogEveryNSteps = 9, l => l.LogEveryNSteps, i => i.Trainer.LogEveryNSteps, 9),
        ["Histograms"] = new(o => o.Histograms = Histograms, l => l.Histograms, i => i.Trainer.Histograms, Histograms),
        // The test adds one logger (in a folder of its own) before mapping.
        ["Loggers"] = new(_ => { }, l => l.Loggers.Count, i => i.Trainer.Loggers.Count, 1),
    };

    // Options realised by the front-ends' built-ins or by the adapter around them, checked by the tests named here.
    static readonly Dictionary<string, string> RealisedElsewhere = new()
    {
        ["Checkpoints"] = "ModelCheckpoint / Checkpoint handlers (UnifiedTrainerPolicyParityTests)",
        ["CheckpointDir"] = "a shortcut for Checkpoints.DirPath",
        ["CheckpointEveryNSteps"] = "a shortcut for Checkpoints.EveryNTrainSteps",
        ["EarlyStopping"] = "EarlyStopping callback / handler (UnifiedTrainerPolicyParityTests)",
        ["LearningRateMonitor"] = "LearningRateMonitor callback / OptimizerParamsHandler (UnifiedTrainerValidationAndLrParityTests)",
        ["MaxTime"] = "Timer callback / TimeLimit handler (UnifiedTrainerPolicyParityTests)",
        ["ResumeFrom"] = "Trainer.Fit(ckptPath) / SupervisedFitOptions.ResumeFrom (UnifiedTrainerMaxStepsResumeTests)",
        ["Seed"] = "TrainerOptions.Seed / Seed.Everything before the engines are built (UnifiedTrainerParityTests)",
        ["Strategy"] = "TrainerOptions.Strategy / the process group of DdpStrategy.Resolve (DistributedFitTests)",
        ["Devices"] = "as Strategy",
        ["NumNodes"] = "as Strategy",
        ["Callbacks"] = "Lightning's callbacks (the Hosting tests)",
        ["Handlers"] = "Ignite's handlers (the Hosting tests)",
        ["OnStep"] = "a reporting callback / IterationCompleted handler (UnifiedTrainerTests)",
        ["OnEpoch"] = "a reporting callback / EpochValidated handler (UnifiedTrainerTests)",
        ["LoggerFactory"] = "TrainerOptions / SupervisedTrainerOptions.LoggerFactory (UnifiedTrainerLoggingTests)",
    };

    [Fact]
    public void EveryOption_IsMappedToBothFrontEnds_OrRealisedByTheirBuiltIns()
    {
        var unaccounted = typeof(UnifiedTrainerOptions).GetProperties().Select(p => p.Name)
            .Where(name => !Mapped.ContainsKey(name) && !RealisedElsewhere.ContainsKey(name)).ToList();
        Assert.True(unaccounted.Count == 0, $"UnifiedTrainerOptions.{string.Join(", ", unaccounted)}: map it in UnifiedTrainer.LightningOptions and IgniteOptions, then list it here.");
    }

    [Fact]
    public void MappedOptions_ReachBothFrontEnds_WithTheirValues()
    {
        using var temp = new Unified.Testing.TempDirectory();
        var options = new UnifiedTrainerOptions();
        options.Loggers.Add(new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path }));
        foreach (var mapping in Mapped.Values) mapping.Set(options);
        var lightning = UnifiedTrainer.LightningOptions(options);
        var ignite = UnifiedTrainer.IgniteOptions(options, group: null);

        foreach (var (name, mapping) in Mapped)
        {
            Assert.True(Equals(mapping.Expected, mapping.Lightning(lightning)), $"{name} did not reach TrainerOptions: {mapping.Lightning(lightning)}.");
            Assert.True(Equals(mapping.Expected, mapping.Ignite(ignite)), $"{name} did not reach SupervisedFitOptions: {mapping.Ignite(ignite)}.");
        }
    }

    [Fact]
    public void Clone_HasListsOfItsOwn()
    {
        var options = new UnifiedTrainerOptions { MaxEpochs = 4 };
        var copy = options.Clone();
        copy.Callbacks.Add(new Lightning.Timer(TimeSpan.FromMinutes(1)));
        copy.Checkpoints = new CheckpointPolicy { DirPath = "elsewhere" };

        Assert.Empty(options.Callbacks);
        Assert.Null(options.CheckpointDir);
        Assert.Equal(4, copy.MaxEpochs);
    }
}
