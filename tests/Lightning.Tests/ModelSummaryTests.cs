using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>ModelSummary as Lightning's callbacks/model_summary.py and utilities/model_summary (tests/tests_pytorch/utilities/test_model_summary.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelSummaryTests
{
    [Fact]
    public void DefaultSummary_IsPrintedAtFitStart_WithLayersCountsAndSize()
    {
        using var data = Digits();
        using var module = Mlp();
        var output = new StringWriter();
        var options = Options(maxEpochs: 1);
        (options.EnableModelSummary, options.ProgressOutput) = (true, output);

        new Trainer(options).Fit(module, data);

        // 784·256 + 256 and 256·10 + 10 parameters, 4 bytes each.
        string text = output.ToString();
        Assert.Contains("0 | fc1  | Linear | 200 K  | train", text);
        Assert.Contains("1 | fc2  | Linear | 2.6 K  | train", text);
        Assert.Contains("203 K     Trainable params", text);
        Assert.Contains("0         Non-trainable params", text);
        Assert.Contains("0.814     Total estimated model params size (MB)", text);
        Assert.True(text.Contains("3         Modules in train mode", StringComparison.Ordinal), text);
    }

    [Fact]
    public void FrozenLayersAndDepth_AreCounted()
    {
        Core.Runtime.Seed.Everything(1);
        using var network = new DigitsMlp();
        foreach (var p in network.named_parameters().Where(p => p.name.StartsWith("fc1", StringComparison.Ordinal))) p.parameter.requires_grad = false;
        var summary = new ModelSummary(maxDepth: 1);

        summary.Summarize(network);

        Assert.Equal([("fc1", "Linear", 200_960L), ("fc2", "Linear", 2_570L)], summary.Layers.Select(l => (l.Name, l.Type, l.Parameters)));
        Assert.Equal(203_530, summary.TotalParameters);
        Assert.Equal(2_570, summary.TrainableParameters);
        Assert.Equal(0.81412, summary.ModelSizeMb, 5);
        Assert.Equal(["123  ", "1.2 K", "2.0 M", "3.0 B", "400 T", "5,000 T"], new[] { 123L, 1234, 2_000_000, 3_000_000_000, 400_000_000_000_000, 5_000_000_000_000_000 }.Select(ModelSummary.Count));
    }

    [Fact]
    public void DepthZero_PrintsNothing_AndANegativeDepthIsRefused()
    {
        using var data = Digits();
        using var module = Mlp();
        var output = new StringWriter();
        var options = Options(maxEpochs: 1);
        options.Callbacks.Add(new ModelSummary(maxDepth: 0, output: output));

        new Trainer(options).Fit(module, data);

        Assert.Equal("", output.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelSummary(maxDepth: -2));
    }
}
