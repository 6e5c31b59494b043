using System.Globalization;
using Unified.Core.Data;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// Evaluation metrics reach the experiment loggers as in Lightning 2.x: every stage ends with
/// <c>logger.finalize("success")</c> and the next stage logs into the same loggers (trainer/call.py
/// <c>_call_teardown_hook</c>); validate/test log their epoch-end values with <c>epoch</c> = <c>current_epoch</c> at
/// <c>_batches_that_stepped</c> (logger_connector.py <c>log_eval_end_metrics</c> → <c>log_metrics</c>), and values logged
/// per step in validation_step go to the loggers after every batch at the count of evaluation batches seen
/// (evaluation_loop.py <c>_evaluation_step</c>: <c>update_eval_step_metrics(_seen_batches_per_dataloader[i])</c>),
/// never during the sanity check, the count carrying on across a fit's validation runs (<c>setup_data</c> returns
/// early while fitting, so it is not reset) and starting at 0 for a standalone run.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerEvaluationLoggingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    TrainerOptions Options(int maxEpochs = 2) => new()
    {
        MaxEpochs = maxEpochs, Accelerator = "cpu", DefaultRootDir = temp.Path, LogEveryNSteps = 0,
        LimitTrainBatches = 4, LimitValBatches = 3, LimitTestBatches = 2, EnableProgressBar = false, EnableModelSummary = false,
    };

    static DigitsDataModule Digits() => new(new DigitsDataOptions { BatchSize = 64, TestFraction = 0.1, Seed = 42 });

    // metrics.csv as rows by column name (our values have no quotes or commas).
    static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllText(path).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    static double Number(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    [Fact]
    public void FitThenValidateThenTest_WithACsvLogger_AppendsTheirRowsToTheFitsFileAtItsLastStepWithItsEpoch()
    {
        using var data = Digits();
        Seed.Everything(42);
        using var module = new TestableMlp();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        var options = Options();
        options.Loggers.Add(csv);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        var validated = trainer.Validate(module, data);
        // The fit's epochs run (Lightning's current_epoch == max_epochs after fit, test_trainer.py
        // test_num_training_batches...: "Model did not stop at max_epochs"), kept as Lightning keeps fit_loop progress.
        Assert.Equal(2, trainer.CurrentEpoch);
        var tested = trainer.Test(module, data);
        Assert.Equal(2, trainer.CurrentEpoch);

        // test_loss is a new column: the file is rewritten with the wider header (csv_logs.py _ExperimentWriter.save).
        Assert.Equal("epoch,step,test_loss,val_accuracy,val_loss", File.ReadAllText(csv.MetricsFile).Split("\r\n")[0]);
        var rows = ReadCsv(csv.MetricsFile);
        Assert.Equal([("0", "4"), ("1", "8"), ("2", "8"), ("2", "8")], rows.Select(r => (r["epoch"], r["step"])));
        Assert.Equal(trainer.History[1].Metrics["val_loss"], Number(rows[1]["val_loss"]));
        Assert.Equal(validated["val_loss"], Number(rows[2]["val_loss"]));
        Assert.Equal(validated["val_accuracy"], Number(rows[2]["val_accuracy"]));
        Assert.Equal("", rows[2]["test_loss"]);
        Assert.Equal(tested["test_loss"], Number(rows[3]["test_loss"]));
        Assert.Equal(("", ""), (rows[3]["val_loss"], rows[3]["val_accuracy"]));
    }

    [Fact]
    public void Validate_AfterAFit_WithATensorBoardLogger_WritesASecondReadableEventFileInTheSameFolder()
    {
        using var data = Digits();
        Seed.Everything(42);
        using var module = new TestableMlp();
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        var options = Options();
        options.Loggers.Add(tb);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        string fitFile = tb.EventFile;
        var fitEvents = TfEventReader.Read(fitFile);
        var validated = trainer.Validate(module, data);

        // SummaryWriter.close() then a new write: a new file beside the first, which is left as it was (no purge).
        Assert.NotEqual(fitFile, tb.EventFile);
        Assert.Equal(Path.GetDirectoryName(fitFile), Path.GetDirectoryName(tb.EventFile));
        Assert.Equal(2, Directory.GetFiles(tb.LogDir, "events.out.tfevents.*").Length);
        Assert.Equal(fitEvents.Count, TfEventReader.Read(fitFile).Count);
        var events = TfEventReader.Read(tb.EventFile); // checks every CRC
        Assert.Single(events, e => e.FileVersion is not null);
        var scalars = events.SelectMany(e => e.Values.Select(v => (e.Step, v.Tag, v.SimpleValue))).Where(s => s.SimpleValue is not null).ToList();
        Assert.Equal([(8L, "epoch", 2f), (8L, "val_accuracy", (float)validated["val_accuracy"]), (8L, "val_loss", (float)validated["val_loss"])],
            scalars.OrderBy(s => s.Tag, StringComparer.Ordinal).Select(s => (s.Step, s.Tag, s.SimpleValue!.Value)));
    }

    // Logs its validation loss per step and per epoch (val_loss_step per batch, val_loss_epoch at the end) and records what it logged.
    sealed class StepLoggingModule() : LightningModule(new DigitsMlp())
    {
        public List<double> ValidationLosses { get; } = [];

        public int SanityBatches { get; private set; }

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            Log("train_loss", loss, onStep: true, onEpoch: true);
            return loss;
        }

        public override void ValidationStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target).to_type(ScalarType.Float64);
            if (Trainer!.SanityChecking) SanityBatches++;
            else ValidationLosses.Add(loss.item<double>());
            Log("val_loss", loss, onStep: true, onEpoch: true);
        }

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    [Fact]
    public void ValidationStepValues_ReachTheLoggersPerBatch_CountedAcrossTheFit_NotInTheSanityCheck_AndFromZeroInAStandaloneValidate()
    {
        using var data = Digits();
        Seed.Everything(42);
        using var module = new StepLoggingModule();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        var options = Options();
        options.NumSanityValSteps = 2;
        options.Loggers.Add(csv);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        var validated = trainer.Validate(module, data);

        Assert.Equal(2, module.SanityBatches);
        var rows = ReadCsv(csv.MetricsFile);
        // Per batch: val_loss_step at the batches seen (no epoch: log_metrics was given a step); per epoch the fit's row.
        var perStep = rows.Where(r => r["val_loss_step"] != "").ToList();
        Assert.Equal(["0", "1", "2", "3", "4", "5", "0", "1", "2"], perStep.Select(r => r["step"]));
        Assert.All(perStep, r => Assert.Equal(("", ""), (r["epoch"], r["val_loss_epoch"])));
        Assert.Equal(module.ValidationLosses, perStep.Select(r => Number(r["val_loss_step"])));
        Assert.Equal(
            ["val 0", "val 1", "val 2", "epoch 0 @4", "val 3", "val 4", "val 5", "epoch 1 @8", "val 0", "val 1", "val 2", "validate 2 @8"],
            rows.Select(r => r["val_loss_step"] != "" ? "val " + r["step"] : r["train_loss_epoch"] != "" ? $"epoch {r["epoch"]} @{r["step"]}" : $"validate {r["epoch"]} @{r["step"]}"));
        Assert.Equal(validated["val_loss_epoch"], Number(rows[^1]["val_loss_epoch"]));
        Assert.Equal(module.ValidationLosses.TakeLast(3).Average(), validated["val_loss_epoch"], 12);
    }

    [Fact]
    public void Validate_WithALoggerThatFails_WarnsAndStillReturnsTheMetrics_OnAFreshTrainerAtEpochZero()
    {
        using var data = Digits();
        Seed.Everything(42);
        using var module = new TestableMlp();
        // A metrics.csv of another run: the CSV logger refuses to write over it (a real failure, at its flush).
        string other = Path.Combine(temp.Path, "lightning_logs", "version_0");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, CsvLogger.MetricsFileName), "x\r\n1\r\n");
        var logs = new RecordingLoggerFactory();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Version = "version_0" });
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = "tb" });
        var options = Options();
        options.LoggerFactory = logs;
        options.Loggers.Add(csv);
        options.Loggers.Add(tb);
        var trainer = new Trainer(options);

        var validated = trainer.Validate(module, data);

        Assert.True(validated["val_loss"] > 0);
        Assert.Equal(0, trainer.CurrentEpoch);
        Assert.Equal("x\r\n1\r\n", File.ReadAllText(csv.MetricsFile));
        Assert.Contains(logs.Entries, e => e.EventId.Name == "ExperimentLoggerFailed" && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("csv"));
        // The other logger still got the row, at step 0 with epoch 0.
        var scalars = TfEventReader.Read(tb.EventFile).SelectMany(e => e.Values.Select(v => (e.Step, v.Tag, v.SimpleValue))).Where(s => s.SimpleValue is not null).ToList();
        Assert.Equal([(0L, "epoch", 0f), (0L, "val_accuracy", (float)validated["val_accuracy"]), (0L, "val_loss", (float)validated["val_loss"])],
            scalars.OrderBy(s => s.Tag, StringComparer.Ordinal).Select(s => (s.Step, s.Tag, s.SimpleValue!.Value)));
    }

    [Fact]
    public void Validate_UnderFastDevRun_LogsNothing()
    {
        using var data = Digits();
        Seed.Everything(42);
        using var module = new TestableMlp();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        var options = Options();
        options.FastDevRun = 1;
        options.Loggers.Add(csv);

        new Trainer(options).Validate(module, data);

        Assert.False(File.Exists(csv.MetricsFile)); // Lightning's fast_dev_run swaps the loggers for a DummyLogger
    }
}
