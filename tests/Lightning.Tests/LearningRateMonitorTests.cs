using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>LearningRateMonitor as Lightning's callbacks/lr_monitor.py and tests/tests_pytorch/callbacks/test_lr_monitor.py.</summary>
[Collection(TorchCollection.Name)]
public sealed class LearningRateMonitorTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class StepLrMlp() : LightningModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers()
        {
            var sgd = optim.SGD(Network.parameters(), 0.1, momentum: 0.5);
            return new(sgd, optim.lr_scheduler.StepLR(sgd, step_size: 1, gamma: 0.5));
        }
    }

    [Fact]
    public void EpochScheduler_DefaultInterval_LogsLrSgdAtEveryEpochStart_WithTheScheduledValues()
    {
        using var data = Digits();
        using var module = new StepLrMlp();
        var csv = Csv(temp.Path);
        var options = Options(maxEpochs: 3);
        options.Loggers.Add(csv);
        var monitor = new LearningRateMonitor(logMomentum: true);
        options.Callbacks.Add(monitor);

        new Trainer(options).Fit(module, data);

        // Lightning names an optimiser's rate lr-{class name}; an epoch-interval scheduler is logged when epochs start.
        var rows = Rows(csv).Where(r => r.ContainsKey("lr-SGD")).ToList();
        Assert.Equal(["0", "4", "8"], rows.Select(r => r["step"]));
        Assert.Equal([0.1, 0.05, 0.025], rows.Select(r => D(r["lr-SGD"])));
        Assert.All(rows, r => Assert.Equal(0.5, D(r["lr-SGD-momentum"])));
        Assert.Equal([0.1, 0.05, 0.025], monitor.Lrs["lr-SGD"]);
    }

    [Fact]
    public void NoScheduler_StepInterval_LogsLrAdamEveryLogEveryNStepsBeforeTheBatch()
    {
        using var data = Digits();
        using var module = Mlp(lr: 2e-3);
        var csv = Csv(temp.Path);
        var options = Options(maxEpochs: 2);
        options.LogEveryNSteps = 2;
        options.Loggers.Add(csv);
        options.Callbacks.Add(new LearningRateMonitor(loggingInterval: SchedulerInterval.Step, logMomentum: true, logWeightDecay: true));

        new Trainer(options).Fit(module, data);

        // should_update_logs before a batch: (steps taken + 1) % log_every_n_steps == 0, logged at the steps taken.
        var rows = Rows(csv).Where(r => r.ContainsKey("lr-Adam")).ToList();
        Assert.Equal(["1", "3", "5", "7"], rows.Select(r => r["step"]));
        Assert.All(rows, r => Assert.Equal(2e-3, D(r["lr-Adam"])));
        Assert.All(rows, r => Assert.Equal(0.9, D(r["lr-Adam-momentum"]))); // Adam's first beta
        Assert.All(rows, r => Assert.Equal(0.0, D(r["lr-Adam-weight_decay"])));
    }

    [Fact]
    public void WithoutALogger_FailsWhenTrainingStarts_SayingToAddOne()
    {
        using var data = Digits();
        using var module = Mlp();
        var options = Options();
        options.Callbacks.Add(new LearningRateMonitor());

        var error = Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(module, data));
        Assert.Contains("no logger", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateMonitor((SchedulerInterval)7));
    }
}
