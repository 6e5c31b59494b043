using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class ModuleStateTests
{
    [Fact]
    public void StrictLoad_ListsEveryMissingUnexpectedAndMisshapenKey_AndCopiesNothing()
    {
        manual_seed(1);
        using var model = new DigitsMlp();
        using var before = model.state_dict()["fc2.bias"].clone();
        using var wrongShape = zeros(256, 100);
        using var extra = zeros(1);
        using var bias = ones(10);
        var tensors = new Dictionary<string, Tensor> { ["fc1.weight"] = wrongShape, ["fc2.bias"] = bias, ["head.weight"] = extra };

        var e = Assert.Throws<StateMismatchException>(() => ModuleState.Load(model, tensors));

        Assert.Contains(e.Problems, p => p.StartsWith("fc1.bias: missing", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("fc2.weight: missing", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("head.weight: unexpected", StringComparison.Ordinal));
        Assert.Contains("fc1.weight: shape [256, 100] in the state, [256, 784] in the model", e.Problems);
        Assert.Equal(4, e.Problems.Count);
        Assert.True(TensorBits.Equal(before, model.state_dict()["fc2.bias"]));
    }

    [Fact]
    public void NonStrictLoad_SkipsMissingAndUnexpected_ConvertsDtypes_AndReportsIt()
    {
        manual_seed(1);
        using var model = new DigitsMlp();
        using var bias = ones(10, ScalarType.Float64);
        using var extra = zeros(1);

        var report = ModuleState.Load(model, new Dictionary<string, Tensor> { ["fc2.bias"] = bias, ["head.weight"] = extra }, strict: false);

        Assert.Equal(["fc2.bias"], report.LoadedKeys);
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight"], report.MissingKeys);
        Assert.Equal(["head.weight"], report.UnexpectedKeys);
        Assert.Equal(["fc2.bias"], report.ConvertedKeys);
        Assert.Equal(Enumerable.Repeat(1f, 10), model.state_dict()["fc2.bias"].data<float>().ToArray());
    }

    [Fact]
    public void NonStrictLoad_StillRefusesAShapeMismatch()
    {
        using var model = new DigitsMlp();
        using var bias = ones(5);

        var e = Assert.Throws<StateMismatchException>(() => ModuleState.Load(model, new Dictionary<string, Tensor> { ["fc2.bias"] = bias }, strict: false));
        Assert.Equal(["fc2.bias: shape [5] in the state, [10] in the model"], e.Problems);
    }
}
