using Unified.Core.Checkpointing;
using Unified.Core.Logging.Csv;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>
/// The validation interval and learning-rate monitoring, declared once in UnifiedTrainerOptions, behave the same through
/// Lightning's built-ins (check_val_every_n_epoch, trainer/connectors/..., fit_loop: validates when
/// (current_epoch + 1) % n == 0; callbacks/lr_monitor.py) and Ignite's (the evaluator on EPOCH_COMPLETED(every=n);
/// an OptimizerParamsHandler on ITERATION_STARTED / EPOCH_STARTED under Lightning's names).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerValidationAndLrParityTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static (FitResult Result, string Sha256) Fit(string framework, UnifiedTrainerOptions options)
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);
        var result = new UnifiedTrainer(framework, options).Fit(module, data);
        string sha = WeightsHash.Sha256(network);
        network.Dispose();
        return (result, sha);
    }

    [Fact]
    public void CheckValEveryNEpoch2_ValidatesBothFrontEndsInTheSameEpochs_WithTheSameWeights()
    {
        CsvLogger? csv = null;
        UnifiedTrainerOptions Options(string name)
        {
            var options = new UnifiedTrainerOptions { MaxEpochs = 4, Seed = 42, Accelerator = "cpu", CheckValEveryNEpoch = 2 };
            options.Loggers.Add(csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = name }));
            return options;
        }
        var lightning = Fit("lightning", Options("val-l"));
        string lightningCsv = File.ReadAllText(csv!.MetricsFile);
        var ignite = Fit("ignite", Options("val-i"));

        static int[] Validated(FitResult result) => result.History.Where(h => h.Metrics.ContainsKey("val_loss")).Select(h => h.Epoch).ToArray();
        Assert.Equal(4, lightning.Result.History.Count);
        Assert.Equal([1, 3], Validated(lightning.Result));
        Assert.Equal([1, 3], Validated(ignite.Result));
        foreach (int epoch in new[] { 1, 3 })
            Assert.Equal(lightning.Result.History[epoch].Metrics["val_loss"], ignite.Result.History[epoch].Metrics["val_loss"], 6);
        // The loggers see the same rows: val_* only in the epochs that validated.
        Assert.Equal(lightningCsv, File.ReadAllText(csv.MetricsFile));
        Assert.Equal(lightning.Sha256, ignite.Sha256);
    }

    [Fact]
    public void CheckValEveryNEpoch1_ValidatesEveryEpoch()
    {
        // Control for the test above: with the default every epoch has a val_loss of its own.
        var (result, _) = Fit("ignite", new UnifiedTrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu" });
        Assert.All(result.History, h => Assert.True(h.Metrics.ContainsKey("val_loss")));
        Assert.NotEqual(result.History[1].Metrics["val_loss"], result.History[2].Metrics["val_loss"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CheckValEveryNEpoch_BelowOne_IsRejectedWithItsName(int n)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new UnifiedTrainer("ignite", new UnifiedTrainerOptions { CheckValEveryNEpoch = n }));
        Assert.Contains("CheckValEveryNEpoch must be a positive integer", error.Message);
    }

    [Fact]
    public void LearningRateMonitor_WithoutALogger_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new UnifiedTrainer("lightning", new UnifiedTrainerOptions { LearningRateMonitor = new() }));
        Assert.Contains("add one to Loggers", error.Message);
    }

    [Theory]
    [InlineData(SchedulerInterval.Step)]
    [InlineData(SchedulerInterval.Epoch)]
    public void LearningRateMonitor_WritesTheSameLrColumnsUnderBothFrontEnds(SchedulerInterval interval)
    {
        CsvLogger FitLogged(string framework)
        {
            var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = framework + interval });
            var options = new UnifiedTrainerOptions
            {
                MaxEpochs = 2, Seed = 42, Accelerator = "cpu", LogEveryNSteps = 2,
                LearningRateMonitor = new LearningRateMonitorPolicy { LoggingInterval = interval, LogMomentum = true },
            };
            options.Loggers.Add(csv);
            Fit(framework, options);
            return csv;
        }
        var lightning = File.ReadAllLines(FitLogged("lightning").MetricsFile);
        var ignite = File.ReadAllLines(FitLogged("ignite").MetricsFile);

        var header = lightning[0].Split(',');
        int lr = Array.IndexOf(header, "lr-Adam"), momentum = Array.IndexOf(header, "lr-Adam-momentum");
        Assert.True(lr >= 0 && momentum >= 0, $"No lr-Adam / lr-Adam-momentum column in: {lightning[0]}");
        var rows = lightning.Skip(1).Select(l => l.Split(',')).Where(r => r[lr].Length > 0).ToList();
        // 2 epochs of 4 steps: by step, steps 1, 3, 5, 7 (before the 2nd, 4th … step); by epoch, each epoch's start.
        Assert.Equal(interval == SchedulerInterval.Step ? 4 : 2, rows.Count);
        Assert.All(rows, r => Assert.Equal((1e-3, 0.9), (double.Parse(r[lr], System.Globalization.CultureInfo.InvariantCulture), double.Parse(r[momentum], System.Globalization.CultureInfo.InvariantCulture))));
        // The whole file is the same, lr columns, steps and the rest.
        Assert.Equal(lightning, ignite);
    }
}
