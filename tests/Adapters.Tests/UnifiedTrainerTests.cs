using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerTests
{
    [Theory]
    [InlineData("keras")]
    [InlineData("")]
    [InlineData(null)]
    public void UnknownFramework_ThrowsArgumentListingTheValidNames(string? framework)
    {
        var e = Assert.Throws<ArgumentException>(() => new UnifiedTrainer(framework!));

        Assert.Equal("framework", e.ParamName);
        Assert.Contains("lightning", e.Message);
        Assert.Contains("ignite", e.Message);
    }

    [Theory]
    [InlineData("lightning", "lightning")]
    [InlineData("Lightning", "lightning")]
    [InlineData("IGNITE", "ignite")]
    [InlineData(" Ignite ", "ignite")]
    public void FrameworkNames_AreCaseInsensitive(string given, string expected)
    {
        Assert.Equal(expected, new UnifiedTrainer(given).Framework);
    }

    [Fact]
    public void Frameworks_ListsBothFrontEnds()
    {
        Assert.Equal(new[] { "lightning", "ignite" }, Frameworks.Names);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void MaxEpochsBelowOne_ThrowsNamingTheField(int epochs)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new UnifiedTrainer("ignite", new UnifiedTrainerOptions { MaxEpochs = epochs }));
        Assert.Equal(nameof(UnifiedTrainerOptions.MaxEpochs), e.ParamName);
    }

    [Fact]
    public void InvalidAccumulationOrClip_ThrowNamingTheField()
    {
        var accumulate = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new UnifiedTrainer("lightning", new UnifiedTrainerOptions { AccumulateGradBatches = 0 }));
        var clip = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new UnifiedTrainer("lightning", new UnifiedTrainerOptions { GradientClipValue = -1 }));

        Assert.Equal(nameof(UnifiedTrainerOptions.AccumulateGradBatches), accumulate.ParamName);
        Assert.Equal(nameof(UnifiedTrainerOptions.GradientClipValue), clip.ParamName);
    }

    static (List<(int Epoch, int Batch, int PerEpoch, int Size, float Loss)> Steps, List<EpochResult> Epochs, FitResult Result) FitRecording(
        string framework, bool validate = true, int accumulate = 1)
    {
        using var data = new SliceDataModule(trainCount: 5 * 16 - 4, validationCount: 32, batchSize: 16);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var steps = new List<(int, int, int, int, float)>();
        var epochs = new List<EpochResult>();
        var options = new UnifiedTrainerOptions
        {
            MaxEpochs = 2,
            Accelerator = "cpu",
            Validate = validate,
            AccumulateGradBatches = accumulate,
            OnStep = s => steps.Add((s.Epoch, s.BatchIndex, s.BatchesPerEpoch, s.BatchSize, s.Loss.item<float>())),
            OnEpoch = epochs.Add,
        };
        var result = new UnifiedTrainer(framework, options).Fit(module, data);
        return (steps, epochs, result);
    }

    [Fact]
    public void OnStepAndOnEpoch_FireTheSameTimesWithTheSameReportsInBothFrontEnds()
    {
        var lightning = FitRecording("lightning");
        var ignite = FitRecording("ignite");

        Assert.Equal(10, lightning.Steps.Count);
        Assert.Equal(2, lightning.Epochs.Count);
        Assert.Equal(lightning.Steps, ignite.Steps);
        Assert.Equal(lightning.Steps.Select(s => (s.Epoch, s.Batch, s.PerEpoch, s.Size)),
            new[] { (0, 0, 5, 16), (0, 1, 5, 16), (0, 2, 5, 16), (0, 3, 5, 16), (0, 4, 5, 12), (1, 0, 5, 16), (1, 1, 5, 16), (1, 2, 5, 16), (1, 3, 5, 16), (1, 4, 5, 12) });
        Assert.Equal(lightning.Epochs.Count, ignite.Epochs.Count);
        Assert.Equal(lightning.Result.History.Select(h => h.Epoch), lightning.Epochs.Select(e => e.Epoch));
        Assert.Equal(ignite.Result.History.Select(h => h.Epoch), ignite.Epochs.Select(e => e.Epoch));
    }

    [Fact]
    public void WithoutValidation_BothFrontEndsReportOnlyTrainingMetrics()
    {
        var lightning = FitRecording("lightning", validate: false);
        var ignite = FitRecording("ignite", validate: false);

        Assert.All(lightning.Result.History, h => Assert.Equal(new[] { "train_loss" }, h.Metrics.Keys));
        Assert.All(ignite.Result.History, h => Assert.Equal(new[] { "train_loss" }, h.Metrics.Keys));
        Assert.Equal(lightning.Result.FinalMetrics["train_loss"], ignite.Result.FinalMetrics["train_loss"]);
    }

    [Fact]
    public void WithAccumulationAndARemainder_BothFrontEndsCountTheSameSteps()
    {
        var lightning = FitRecording("lightning", accumulate: 2);
        var ignite = FitRecording("ignite", accumulate: 2);

        // Five batches per epoch with accumulation 2: steps after batches 2, 4 and the epoch's last one.
        Assert.Equal(new long[] { 3, 6 }, lightning.Result.History.Select(h => h.GlobalStep));
        Assert.Equal(new long[] { 3, 6 }, ignite.Result.History.Select(h => h.GlobalStep));
        Assert.Equal((6L, 6L), (lightning.Result.Steps, ignite.Result.Steps));
        Assert.Equal(lightning.Steps, ignite.Steps);
    }

    [Fact]
    public void FitResult_ReportsSamplesAndThroughput()
    {
        var (_, _, result) = FitRecording("ignite");

        Assert.Equal(2 * 76, result.TrainSamples);
        Assert.Equal(10, result.Steps);
        Assert.True(result.Seconds > 0);
        Assert.True(result.SamplesPerSecond > 0);
        Assert.Same(result.History[^1].Metrics, result.FinalMetrics);
    }

    [Fact]
    public void Fit_CancelledToken_ThrowsOperationCanceledInBothFrontEnds()
    {
        foreach (string framework in Frameworks.Names)
        {
            using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 16);
            Seed.Everything(42);
            using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
            using var cancellation = new CancellationTokenSource();
            int steps = 0;
            var options = new UnifiedTrainerOptions { Accelerator = "cpu", OnStep = _ => { if (++steps == 2) cancellation.Cancel(); } };

            Assert.ThrowsAny<OperationCanceledException>(() => new UnifiedTrainer(framework, options).Fit(module, data, cancellation.Token));
            Assert.Equal(2, steps);
        }
    }
}
