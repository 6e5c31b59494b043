using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// Lightning's <c>save_hyperparameters()</c> (core/mixins/hparams_mixin.py): the values go into every checkpoint
/// (<c>hyper_parameters</c> there, the <c>hparams</c> part here) and into the logger's <c>hparams.yaml</c>.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SaveHyperparametersTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class LitMlp : LightningModule
    {
        public LitMlp(double lr, int hidden) : base(new DigitsMlp(hidden)) => SaveHyperparameters(new { lr, hidden });

        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.SGD(Network.parameters(), (double)Hyperparameters["lr"]!));
    }

    [Fact]
    public void SaveHyperparameters_GoIntoTheCheckpointAndHparamsYaml()
    {
        using var data = new SliceDataModule(trainCount: 32, validationCount: 16, batchSize: 16);
        using var module = new LitMlp(0.05, 32);
        var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", DefaultRootDir = temp.Path };
        options.Loggers.Add(new CsvLogger(new CsvLoggerOptions { SaveDir = temp.File("logs") }));
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(0.05, module.Hyperparameters["lr"]);
        using var checkpoint = CheckpointFile.Load(trainer.DefaultCheckpointCallback!.BestModelPath!);
        var hparams = checkpoint.Part("hparams");
        Assert.Equal(0.05, hparams.Value<double>("lr"));
        Assert.Equal(32, hparams.Value<int>("hidden"));
        string yaml = File.ReadAllText(Directory.EnumerateFiles(temp.File("logs"), "hparams.yaml", SearchOption.AllDirectories).Single());
        Assert.Contains("hidden: 32", yaml);
        Assert.Contains("lr: 0.05", yaml);
    }
}
