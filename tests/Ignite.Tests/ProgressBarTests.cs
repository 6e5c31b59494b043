using System.Diagnostics;
using Spectre.Console;
using Unified.Core.Logging;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>ProgressBar as Ignite's (ignite/handlers/tqdm_logger.py; tests/ignite/handlers/test_tqdm_logger.py), drawn by Core's progress display.</summary>
[Collection(TorchCollection.Name)]
public sealed class ProgressBarTests
{
    // An engine whose output is a scalar loss and whose epochs record a metric, with steps slow enough for the live bar.
    static Engine Losses(double stepMs = 0)
    {
        var engine = new Engine((e, _) =>
        {
            long start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < stepMs) { }
            return tensor(1.0f / e.State.Iteration);
        });
        engine.On(Events.EpochCompleted, e => (e.State.Metrics["accuracy"], e.State.Metrics["loss"]) = (0.5 * e.State.Epoch, 0.25));
        return engine;
    }

    [Fact]
    public void NotOnATerminal_WritesOneLinePerEpoch_WithTheChosenMetrics()
    {
        using var data = CountingData.Loader(6, 2);
        var output = new StringWriter();
        var engine = Losses();
        new ProgressBar(output: output).Attach(engine, metricNames: ["accuracy"]);

        engine.Run(data, maxEpochs: 2);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("epoch 1/2  accuracy 0.5000  ", lines[0]);
        Assert.StartsWith("epoch 2/2  accuracy 1.0000  ", lines[1]);
        Assert.DoesNotContain("loss", output.ToString());
    }

    [Fact]
    public void MetricNamesAll_ShowsEveryNumericMetric_AndAClosingEventOfCompleted_OneLine()
    {
        using var data = CountingData.Loader(6, 2);
        var output = new StringWriter();
        var engine = Losses();
        new ProgressBar(output: output).Attach(engine, metricNames: ["all"], closingEventName: Events.Completed);

        engine.Run(data, maxEpochs: 2);

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("epoch 2/2  accuracy 1.0000  loss 0.2500  ", line);
    }

    [Fact]
    public void OnALiveConsole_ShowsTheLossFromTheOutput_AndTheMetrics()
    {
        using var data = CountingData.Loader(8, 1);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 200;
        var engine = Losses(stepMs: 100); // the display reads the loss at most every 100 ms and renders on its own thread
        var bar = new ProgressBar((e, names) => new LiveProgress(console, e.State.MaxEpochs ?? 1, e.State.EpochLength ?? 0, names is null ? null : () => names));
        bar.Attach(engine, metricNames: ["accuracy"], outputTransform: output => (Tensor)output! * 2);

        engine.Run(data, maxEpochs: 2);

        string shown = text.ToString();
        Assert.Matches(@"epoch [12]/2  loss 0\.\d{4}", shown);
        Assert.Contains("epoch 2/2  accuracy 1.0000", shown);
        Assert.Contains("100%", shown);
    }

    [Fact]
    public void Removed_TheBarShowsNothing()
    {
        using var data = CountingData.Loader(4, 2);
        var output = new StringWriter();
        var engine = Losses();
        new ProgressBar(output: output).Attach(engine, metricNames: ["all"]).Remove();

        engine.Run(data, maxEpochs: 1);

        Assert.Empty(output.ToString());
    }
}
