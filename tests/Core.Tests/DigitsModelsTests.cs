using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class DigitsModelsTests
{
    [Theory]
    [InlineData("mlp", InputLayout.Flat)]
    [InlineData("cnn", InputLayout.Image)]
    public void Create_GivesANetworkThatMapsItsLayoutToTenLogits(string name, InputLayout layout)
    {
        torch.manual_seed(0);
        using var network = DigitsModels.Create(name);
        using var input = layout == InputLayout.Flat ? rand(5, 784) : rand(5, 1, 28, 28);

        using var logits = network.call(input);

        Assert.Equal(layout, DigitsModels.LayoutOf(name));
        Assert.Equal(new long[] { 5, 10 }, logits.shape);
    }

    [Fact]
    public void Mlp_Has784x256x10Parameters()
    {
        torch.manual_seed(0);
        using var mlp = new DigitsMlp();

        Assert.Equal(784 * 256 + 256 + 256 * 10 + 10, mlp.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void UnknownModel_ThrowsArgumentListingTheValidModels()
    {
        var e = Assert.Throws<ArgumentException>(() => DigitsModels.Create("resnet"));
        Assert.Contains("mlp", e.Message);
        Assert.Contains("cnn", e.Message);
        Assert.Throws<ArgumentException>(() => DigitsModels.LayoutOf("resnet"));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1e-3)]
    [InlineData(double.NaN)]
    public void ClassificationModule_RejectsAnInvalidLearningRate(double learningRate)
    {
        torch.manual_seed(0);
        using var network = new DigitsMlp();

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationModule(network, learningRate));
        Assert.Equal("learningRate", e.ParamName);
    }

    [Fact]
    public void ClassificationModule_ValidationStep_LogsLossAndAccuracyWeightedBySamples()
    {
        torch.manual_seed(0);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);
        using var input = rand(6, 784);
        using var target = tensor(new long[] { 0, 1, 2, 3, 4, 5 });
        using var batch = new Batch(input.alias(), target.alias());

        Core.Training.EvaluationStep.Run(module, batch, 0);

        using var logits = network.call(input);
        using var loss = nn.functional.cross_entropy(logits, target);
        using var hits = logits.argmax(1).eq(target).to_type(ScalarType.Float64).mean();
        var logged = module.Logged.Compute();
        Assert.Equal(loss.item<float>(), logged["val_loss"], 5);
        Assert.Equal(hits.item<double>(), logged["val_accuracy"], 6);
    }

    [Fact]
    public void EvaluationStep_RunsWithoutGradients()
    {
        torch.manual_seed(0);
        var probe = new GradientProbe();
        using var batch = new Batch(ones(2, 784), zeros(2, ScalarType.Int64));

        Core.Training.EvaluationStep.Run(probe, batch, 0);

        Assert.False(probe.GradEnabledDuringValidation);
    }
}
