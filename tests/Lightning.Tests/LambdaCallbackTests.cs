using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>LambdaCallback as Lightning's callbacks/lambda_function.py (tests/tests_pytorch/callbacks/test_lambda_function.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class LambdaCallbackTests
{
    [Fact]
    public void GivenHooks_RunAtTheirHookPoints_AndTheirStopEndsTheFit()
    {
        using var data = Digits();
        using var module = Mlp();
        var calls = new List<string>();
        var options = Options(maxEpochs: 3);
        options.Callbacks.Add(new LambdaCallback(
            onFitStart: (t, m) => calls.Add("fit_start"),
            onTrainEpochEnd: (t, m) => calls.Add($"epoch_end {t.CurrentEpoch}"),
            onTrainBatchEnd: (t, m, loss, batch, i) =>
            {
                calls.Add($"batch {i}");
                if (t.CurrentEpoch == 1 && i == 1) t.ShouldStop = true;
            },
            teardown: (t, m, stage) => calls.Add($"teardown {stage}")));
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(["fit_start", "batch 0", "batch 1", "batch 2", "batch 3", "epoch_end 0", "batch 0", "batch 1", "epoch_end 1", "teardown Fit"], calls);
        Assert.Equal(6, trainer.GlobalStep);
    }

    [Fact]
    public void NoHook_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new LambdaCallback());
        Assert.Contains("at least one hook", error.Message);
    }
}
