using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>Both front-ends log the same run the same way: the same bitwise weights give the same files.</summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerLoggingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    (CsvLogger Csv, TensorBoardLogger Tb, FitResult Result) Fit(string framework)
    {
        using var data = new SliceDataModule(trainCount: 320, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        module.Hyperparameters["framework"] = "either";
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = framework });
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = framework + "-tb" });
        var options = new UnifiedTrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu", AccumulateGradBatches = 2, LogEveryNSteps = 2 };
        options.Loggers.Add(csv);
        options.Loggers.Add(tb);
        return (csv, tb, new UnifiedTrainer(framework, options).Fit(module, data));
    }

    [Fact]
    public void LightningAndIgnite_WriteTheSameMetricsCsvHparamsAndTensorBoardScalars()
    {
        var lightning = Fit("lightning");
        var ignite = Fit("ignite");

        string lightningCsv = File.ReadAllText(lightning.Csv.MetricsFile);
        Assert.Equal(lightningCsv, File.ReadAllText(ignite.Csv.MetricsFile));
        Assert.StartsWith("epoch,step,train_loss,train_loss_step,val_accuracy,val_loss\r\n", lightningCsv);
        Assert.Equal(3 + 7, lightningCsv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1); // 3 epochs, steps 2..14 by 2
        Assert.Equal(File.ReadAllText(Path.Combine(lightning.Csv.LogDir, "hparams.yaml")), File.ReadAllText(Path.Combine(ignite.Csv.LogDir, "hparams.yaml")));

        static List<(long, string, float)> Scalars(TensorBoardLogger tb) => TfEventReader.Read(tb.EventFile)
            .SelectMany(e => e.Values.Where(v => v.SimpleValue is not null).Select(v => (e.Step, v.Tag, v.SimpleValue!.Value))).ToList();
        Assert.Equal(Scalars(lightning.Tb), Scalars(ignite.Tb));
        Assert.Equal(15, lightning.Result.Steps);
    }
}
