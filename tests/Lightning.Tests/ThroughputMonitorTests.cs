using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>ThroughputMonitor as Lightning's callbacks/throughput_monitor.py over Fabric's utilities/throughput.py (tests/tests_pytorch/callbacks/test_throughput_monitor.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class ThroughputMonitorTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void TrainingAndValidation_LogTotalsAndWindowedRates()
    {
        using var data = Digits();
        using var module = Mlp();
        var csv = Csv(temp.Path);
        var options = Options(maxEpochs: 2, trainBatches: 4, valBatches: 3);
        options.LogEveryNSteps = 2;
        options.Loggers.Add(csv);
        options.Callbacks.Add(new ThroughputMonitor(windowSize: 3));

        new Trainer(options).Fit(module, data);

        var rows = Rows(csv);
        // Training: every 2nd optimiser step; totals count from the fit's start, rates need a full window of 3.
        var train = rows.Where(r => r.ContainsKey("train/samples")).ToList();
        Assert.Equal(["2", "4", "6", "8"], train.Select(r => r["step"]));
        Assert.Equal([128.0, 256, 384, 512], train.Select(r => D(r["train/samples"])));
        Assert.Equal([2.0, 4, 6, 8], train.Select(r => D(r["train/batches"])));
        Assert.False(train[0].ContainsKey("train/device/samples_per_sec"));
        foreach (var row in train.Skip(1))
        {
            double perBatch = D(row["train/device/samples_per_sec"]) / D(row["train/device/batches_per_sec"]);
            Assert.Equal(64.0, perBatch, 6);
        }
        Assert.True(D(train[^1]["train/time"]) > D(train[0]["train/time"]));
        // Validation (not the sanity check): after every batch, at the validation batch count.
        var validate = rows.Where(r => r.ContainsKey("validate/samples")).ToList();
        Assert.Equal([64.0, 128, 192, 64, 128, 192], validate.Select(r => D(r["validate/samples"])));
        Assert.Equal(2, validate.Count(r => r.ContainsKey("validate/device/samples_per_sec")));
    }

    [Fact]
    public void AWindowBelowTwo_IsRefused() =>
        Assert.Contains("at least 2", Assert.Throws<ArgumentOutOfRangeException>(() => new ThroughputMonitor(windowSize: 1)).Message);
}
