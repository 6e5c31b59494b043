using System.Globalization;
using System.Runtime.InteropServices;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Lightning's <c>Tuner</c> (tuner/tuning.py): a learning-rate range test and a batch-size search, each a few short
/// fits with the trainer's options (without its callbacks, loggers and checkpoints), after which the module's weights
/// are what they were before.
/// </summary>
/// <example><code>
/// var found = Tuner.LrFind(trainer, module, data);
/// double lr = found.Suggestion() ?? 1e-3;
/// found.Plot("lr_find.png");
/// </code></example>
public static class Tuner
{
    /// <summary>
    /// Runs Lightning's learning-rate range test (tuner/lr_finder.py): <paramref name="numTraining"/> optimiser steps
    /// whose learning rate grows from <paramref name="minLr"/> to <paramref name="maxLr"/> (geometrically or linearly),
    /// recording the smoothed loss after each; stops early when that loss exceeds <paramref name="earlyStopThreshold"/>
    /// times the best one (null: never). The module's weights are restored afterwards; the optimiser is the module's,
    /// made afresh by the next fit's <c>ConfigureOptimizers</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive and finite, <paramref name="maxLr"/> is not above <paramref name="minLr"/>, <paramref name="numTraining"/> is below 1 or the threshold not positive.</exception>
    public static LrFinderResult LrFind(Trainer trainer, ITrainingModule module, IDataModule data, double minLr = 1e-8, double maxLr = 1,
        int numTraining = 100, LrFinderMode mode = LrFinderMode.Exponential, double? earlyStopThreshold = 4.0)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        if (!(minLr > 0 && double.IsFinite(minLr))) throw new ArgumentOutOfRangeException(nameof(minLr), minLr, "minLr must be a positive finite learning rate (e.g. 1e-8).");
        if (!(maxLr > minLr && double.IsFinite(maxLr))) throw new ArgumentOutOfRangeException(nameof(maxLr), maxLr, $"maxLr must be finite and above minLr ({minLr.ToString(CultureInfo.InvariantCulture)}).");
        if (numTraining < 1) throw new ArgumentOutOfRangeException(nameof(numTraining), numTraining, "numTraining must be at least 1 step.");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be LrFinderMode.Exponential or LrFinderMode.Linear.");
        if (earlyStopThreshold is { } t && !(t > 0)) throw new ArgumentOutOfRangeException(nameof(earlyStopThreshold), t, "earlyStopThreshold must be positive (or null to never stop early).");

        var finder = new LrFinderCallback(mode, minLr, maxLr, numTraining, earlyStopThreshold);
        // Lightning validates up to num_training batches; the range test reads the training loss only, so none here.
        var options = trainer.TuningOptions(o => (o.MaxSteps, o.MaxEpochs, o.LimitValBatches, o.SkipNonFiniteLoss) = (numTraining, int.MaxValue, 0, true));
        options.Callbacks.Add(finder);
        using (Snapshot.Of(module)) new Trainer(options).Fit(module, data);
        return new LrFinderResult(mode, minLr, maxLr, numTraining, finder.Lrs, finder.Losses);
    }

    /// <summary>
    /// Finds the largest batch size that trains within the device's memory, as Lightning's <c>scale_batch_size</c>
    /// (tuner/batch_size_scaling.py): from <see cref="BatchSizeScalingOptions.InitVal"/>, runs
    /// <see cref="BatchSizeScalingOptions.StepsPerTrial"/> steps per trial on <c>data(batchSize)</c>, doubling after
    /// every success, until a trial fails, the batch size reaches the training set's size or
    /// <see cref="BatchSizeScalingOptions.MaxVal"/>, or <see cref="BatchSizeScalingOptions.MaxTrials"/> trials
    /// succeeded; binary-search mode then bisects between the last success and the failure. A failure is a CUDA
    /// out-of-memory error, or on the CPU (where memory runs out as swapping, not an error) leaving the budget of
    /// <see cref="BatchSizeScalingOptions.MaxMemoryMb"/> / <see cref="BatchSizeScalingOptions.MaxStepSeconds"/>. The
    /// module's weights are restored afterwards; data modules the factory made are disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The first batch size already fails.</exception>
    public static BatchSizeScalingResult ScaleBatchSize(Trainer trainer, ITrainingModule module, Func<int, IDataModule> data, BatchSizeScalingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new BatchSizeScalingOptions();
        options.Validate();
        var trials = new List<BatchSizeTrial>();
        double baseline = ProcessMemory.CurrentRssMb();
        using (Snapshot.Of(module))
        {
            int size = options.Mode == BatchSizeScalingMode.Power ? Power(trainer, module, data, options, trials, baseline) : BinSearch(trainer, module, data, options, trials, baseline);
            if (!trials.Any(t => t.Succeeded))
                throw new InvalidOperationException($"Batch size {options.InitVal} already fails ({trials[0].Reason}); lower InitVal or raise the budget.");
            if (options.Mode == BatchSizeScalingMode.BinSearch && options.Margin > 0) size = Math.Max(1, (int)(size * (1 - options.Margin)));
            return new BatchSizeScalingResult(size, trials);
        }
    }

    // Lightning's _run_power_scaling: MaxTrials trials at most; after a failure, half the size, and stop if one succeeded.
    static int Power(Trainer trainer, ITrainingModule module, Func<int, IDataModule> data, BatchSizeScalingOptions options, List<BatchSizeTrial> trials, double baseline)
    {
        int size = options.InitVal;
        bool anySuccess = false;
        for (int i = 0; i < options.MaxTrials; i++)
        {
            var (trial, datasetSize) = Trial(trainer, module, data, size, options, baseline);
            trials.Add(trial);
            if (trial.Succeeded)
            {
                if (i + 1 >= options.MaxTrials || size >= datasetSize || size >= options.MaxVal) return size;
                size = Math.Min(size * 2, options.MaxVal);
                anySuccess = true;
            }
            else
            {
                size /= 2;
                if (anySuccess || size < 1) return Math.Max(size, 1);
            }
        }
        return size;
    }

    // Lightning's _run_binsearch_scaling: double until a failure, then bisect between the last success and it.
    static int BinSearch(Trainer trainer, ITrainingModule module, Func<int, IDataModule> data, BatchSizeScalingOptions options, List<BatchSizeTrial> trials, double baseline)
    {
        int size = options.InitVal, low = 1, successes = 0, lastSuccess = size;
        int? high = null;
        while (true)
        {
            var (trial, datasetSize) = Trial(trainer, module, data, size, options, baseline);
            trials.Add(trial);
            if (trial.Succeeded)
            {
                lastSuccess = low = size;
                if (++successes >= options.MaxTrials || size >= datasetSize || size >= options.MaxVal) return size;
                if (high is int h && h - low <= 1) return size;
                size = high is int top ? (top + low) / 2 : Math.Min(size * 2, options.MaxVal);
            }
            else
            {
                high = size;
                size = (size + low) / 2;
                if (high - low <= 1 || successes == 0) return successes == 0 ? trial.BatchSize : lastSuccess;
            }
        }
    }

    static (BatchSizeTrial Trial, long DatasetSize) Trial(Trainer trainer, ITrainingModule module, Func<int, IDataModule> data, int size,
        BatchSizeScalingOptions options, double baseline)
    {
        var budget = new BatchSizeTrialCallback(baseline, options.MaxMemoryMb, options.MaxStepSeconds);
        var trainerOptions = trainer.TuningOptions(o => (o.MaxSteps, o.MaxEpochs, o.LimitValBatches) = (options.StepsPerTrial, int.MaxValue, options.StepsPerTrial));
        trainerOptions.Callbacks.Add(budget);
        var batches = data(size) ?? throw new InvalidOperationException($"The data factory returned null for batch size {size}.");
        try
        {
            long datasetSize = batches.Train.SampleCount;
            string? reason = null;
            try
            {
                new Trainer(trainerOptions).Fit(module, batches);
                reason = budget.OverBudget;
            }
            catch (Exception e) when (IsOutOfMemory(e))
            {
                reason = "out of memory: " + e.Message.Split('\n')[0];
            }
            DeviceMemory.ReleaseCachedMemory(module.Network.parameters().FirstOrDefault()?.device ?? CPU);
            return (new BatchSizeTrial(size, reason is null, budget.MedianStepSeconds, budget.PeakGrowthMb, reason), datasetSize);
        }
        finally
        {
            (batches as IDisposable)?.Dispose();
        }
    }

    // Lightning's is_oom_error: CUDA's "out of memory" and the CPU allocator's "DefaultCPUAllocator: can't allocate memory".
    static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || (e is ExternalException && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)));

    // The module's parameters and buffers before the tuner's fits, put back after them (Lightning restores a checkpoint).
    sealed class Snapshot : IDisposable
    {
        readonly ITrainingModule module;
        readonly List<Tensor> saved;

        Snapshot(ITrainingModule module)
        {
            this.module = module;
            saved = Live(module).Select(t => t.detach().clone().DetachFromDisposeScope()).ToList();
        }

        public static Snapshot Of(ITrainingModule module) => new(module);

        static List<Tensor> Live(ITrainingModule module) => [.. module.Network.parameters(), .. module.Network.buffers()];

        public void Dispose()
        {
            using (no_grad())
            {
                var live = Live(module);
                for (int i = 0; i < live.Count; i++) live[i].copy_(saved[i]);
            }
            foreach (var tensor in saved) tensor.Dispose();
            module.Logged.Reset();
        }
    }
}
