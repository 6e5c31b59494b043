using TorchSharp;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>
/// EMAWeightAveraging as Lightning 2.6's callbacks/weight_averaging.py over torch.optim.swa_utils.AveragedModel and
/// get_ema_avg_fn (tests/tests_pytorch/callbacks/test_weight_averaging.py): averaged after every optimiser step,
/// swapped in for validation, kept at the end, saved in checkpoints.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class EMAWeightAveragingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static List<Tensor> Weights(nn.Module network) => network.parameters().Select(p => p.detach().clone()).ToList();

    [Fact]
    public void FinalWeights_AreTheExponentialMovingAverageOfEveryStepsWeights()
    {
        const double decay = 0.9;
        using var data = Digits();
        // The same fit without the callback, recording the weights after every optimiser step.
        var trajectory = new List<List<Tensor>>();
        using (var plain = Mlp())
        {
            var options = Options(maxEpochs: 2);
            options.Callbacks.Add(new LambdaCallback(onTrainBatchEnd: (t, m, loss, batch, i) => trajectory.Add(Weights(m.Network))));
            new Trainer(options).Fit(plain, data);
        }
        using var module = Mlp();
        var ema = new EMAWeightAveraging(decay: decay);
        var emaOptions = Options(maxEpochs: 2);
        emaOptions.Callbacks.Add(ema);

        new Trainer(emaOptions).Fit(module, data);

        // AveragedModel copies at its first update, then ema·decay + (1 − decay)·current.
        var expected = trajectory[0].Select(t => t.clone()).ToList();
        foreach (var step in trajectory.Skip(1))
            for (int i = 0; i < expected.Count; i++) expected[i] = expected[i] * decay + step[i] * (1 - decay);
        var actual = Weights(module.Network);
        Assert.Equal(8, trajectory.Count);
        Assert.Equal(8, ema.UpdatesAveraged);
        for (int i = 0; i < actual.Count; i++)
            Assert.True(actual[i].allclose(expected[i], rtol: 1e-5, atol: 1e-7), $"tensor {i}: max diff {(actual[i] - expected[i]).abs().max().item<float>()}");
        Assert.True((actual[0] - trajectory[^1][0]).abs().max().item<float>() > 0); // not simply the last weights
    }

    [Fact]
    public void Validation_RunsOnTheAverage_WhichTheModuleKeepsAfterTheFit()
    {
        using var data = Digits();
        using var module = Mlp(lr: 1e-2);
        var options = Options(maxEpochs: 2);
        options.Callbacks.Add(new EMAWeightAveraging(decay: 0.5));
        var trainer = new Trainer(options);
        trainer.Fit(module, data);
        using var plain = Mlp(lr: 1e-2);
        var plainTrainer = new Trainer(Options(maxEpochs: 2));
        plainTrainer.Fit(plain, data);

        // No step follows the last validation: the average it ran on is what the module holds now.
        Assert.Equal(trainer.History[^1].Metrics["val_loss"], trainer.Validate(module, data)["val_loss"]);
        Assert.NotEqual(plainTrainer.History[^1].Metrics["val_loss"], trainer.History[^1].Metrics["val_loss"]);
        Assert.Equal(plainTrainer.History[^1].Metrics["train_loss"], trainer.History[^1].Metrics["train_loss"]); // training itself is unchanged
    }

    [Fact]
    public void AResumedFit_ContinuesTheSavedAverage_ToTheUninterruptedWeights()
    {
        using var data = Digits();
        using var uninterrupted = Mlp();
        var options = Options(maxEpochs: 3);
        options.Callbacks.Add(new EMAWeightAveraging(decay: 0.8));
        new Trainer(options).Fit(uninterrupted, data);

        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveLast = true });
        using (var first = Mlp())
        {
            var firstOptions = Options(maxEpochs: 2);
            firstOptions.Callbacks.Add(new EMAWeightAveraging(decay: 0.8));
            firstOptions.Callbacks.Add(checkpoint);
            new Trainer(firstOptions).Fit(first, data);
        }
        using var resumed = Mlp(seed: 5);
        var resumedOptions = Options(maxEpochs: 3);
        var ema = new EMAWeightAveraging(decay: 0.8);
        resumedOptions.Callbacks.Add(ema);
        new Trainer(resumedOptions).Fit(resumed, data, checkpoint.LastModelPath);

        Assert.Equal(12, ema.UpdatesAveraged);
        Assert.True(ModuleWeights.BitwiseEqual(uninterrupted.Network, resumed.Network));
    }

    // Lightning's on_save_checkpoint: "state_dict" holds the average (what evaluating or exporting the checkpoint uses),
    // "current_model_state" the weights being trained (training itself is unchanged by the callback).
    [Fact]
    public void Checkpoints_HoldTheAverageAsTheModel_AndTheTrainedWeightsAsTheCurrentModelState()
    {
        using var data = Digits();
        using var plain = Mlp();
        new Trainer(Options(maxEpochs: 2)).Fit(plain, data);
        using var module = Mlp();
        var options = Options(maxEpochs: 2);
        options.Callbacks.Add(new EMAWeightAveraging(decay: 0.8));
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveLast = true });
        options.Callbacks.Add(checkpoint);
        new Trainer(options).Fit(module, data);

        using var evaluated = Mlp(seed: 5);
        Core.Checkpointing.ModelWeights.Load(evaluated.Network, checkpoint.LastModelPath!);
        Assert.True(ModuleWeights.BitwiseEqual(module.Network, evaluated.Network)); // the average, which the module keeps after the fit
        Assert.False(ModuleWeights.BitwiseEqual(plain.Network, evaluated.Network));
        using var contents = Core.Checkpointing.CheckpointFile.Load(checkpoint.LastModelPath!);
        var current = contents.Parts.Values.Single(p => p.Tensors.Keys.Any(k => k.StartsWith("current_model_state.", StringComparison.Ordinal))).Tensors;
        var trained = plain.Network.state_dict();
        Assert.Equal(trained.Keys.Select(k => "current_model_state." + k).Order(), current.Keys.Order());
        foreach (var (name, tensor) in trained) Assert.True(tensor.eq(current["current_model_state." + name]).all().item<bool>(), name);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ADecayOutsideZeroToOne_IsRefused(double decay) =>
        Assert.Contains("strictly between 0 and 1", Assert.Throws<ArgumentOutOfRangeException>(() => new EMAWeightAveraging(decay)).Message);
}
