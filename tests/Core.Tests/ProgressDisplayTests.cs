using Spectre.Console;
using Unified.Core.Logging;
using Unified.Core.Training;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class ProgressDisplayTests
{
    static EpochResult Epoch(int index) => new(index, (index + 1) * 4L,
        new Dictionary<string, double> { ["train_loss"] = 0.5 / (index + 1), ["val_loss"] = 0.25, ["val_accuracy"] = 0.9 });

    static void Feed(IProgressDisplay progress, int epochs, int batches = 4, int sleepMs = 30)
    {
        progress.Run(() =>
        {
            for (int e = 0; e < epochs; e++)
            {
                for (int b = 0; b < batches; b++)
                {
                    using var loss = tensor(0.125f * (b + 1));
                    progress.OnStep(new StepReport(e, b, batches, loss, 16));
                    Thread.Sleep(sleepMs);
                }
                progress.OnEpoch(Epoch(e));
            }
            return 0;
        });
    }

    [Fact]
    public void PlainProgress_PrintsOneLinePerEpoch_WithThroughputAndTimeLeft()
    {
        var output = new StringWriter();
        Feed(new PlainProgress(output, 3), 3);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("epoch 1/3  train_loss 0.5000  val_loss 0.2500  val_accuracy 0.9000  ", lines[0]);
        Assert.Matches(@" \d+ samples/s  eta \d+:\d\d:\d\d  rss ", lines[0]);
        Assert.Contains(" eta ", lines[1]);
        Assert.DoesNotContain(" eta ", lines[2]);
    }

    [Fact]
    public void LiveProgress_ShowsLossProgressBarMetricsThroughputAndEta()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        // 10 steps of 120 ms per epoch: the display reads the loss at most every 100 ms, so every step shows it, even on a loaded machine.
        Feed(new LiveProgress(console, 2, 10, () => ["val_accuracy", "val_loss"]), 2, batches: 10, sleepMs: 120);

        string text = output.ToString();
        Assert.Matches(@"epoch [12]/2  loss 0\.\d{4}  \d+ samples/s", text);
        Assert.Contains("samples/s", text);
        Assert.Contains("epoch 2/2  val_loss 0.2500  val_accuracy 0.9000", text);
        Assert.Contains("fit  val_loss 0.2500  val_accuracy 0.9000", text);
        Assert.DoesNotContain("train_loss", text); // not marked for the progress bar
        Assert.Contains("100%", text);
        Assert.Matches(@"\d\d:\d\d:\d\d", text); // elapsed and remaining time columns
    }
}
