using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>The progress bar the library Trainer shows by default (Lightning's enable_progress_bar), on Core's display.</summary>
[Collection(TorchCollection.Name)]
public sealed class ProgressBarTests
{
    [Fact]
    public void ByDefault_ATrainerOffATerminal_PrintsOneLinePerEpoch()
    {
        using var data = Digits();
        using var module = Mlp();
        var output = new StringWriter();
        var options = Options(maxEpochs: 2);
        (options.EnableProgressBar, options.ProgressOutput) = (true, output);

        new Trainer(options).Fit(module, data);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("epoch 1/2", lines[0]);
        Assert.StartsWith("epoch 2/2", lines[1]);
        Assert.Contains("val_loss", lines[1]);
    }

    [Fact]
    public void Disabled_OrDisabledByTheOption_PrintsNothing()
    {
        using var data = Digits();
        using var module = Mlp();
        var output = new StringWriter();
        var options = Options(maxEpochs: 1);
        options.ProgressOutput = output; // EnableProgressBar is false
        new Trainer(options).Fit(module, data);
        var bar = new ProgressBar(output);
        bar.Disable();
        var withBar = Options(maxEpochs: 1);
        withBar.Callbacks.Add(bar);
        new Trainer(withBar).Fit(module, data);

        Assert.Equal("", output.ToString());
        Assert.False(bar.IsEnabled);
    }
}
