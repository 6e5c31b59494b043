using System.Diagnostics;
using Unified.Adapters;
using Unified.Core.Training;

namespace Unified.Cli.Fit;

/// <summary>One line per epoch with its metrics, throughput and the time left, for logs and pipes (CI logs stay readable); reads no tensor, so it adds no device sync.</summary>
public sealed class PlainProgress(TextWriter output, int maxEpochs) : IFitProgress
{
    readonly Stopwatch clock = new(), total = new();
    long samples;

    /// <inheritdoc />
    public T Run<T>(Func<T> fit)
    {
        clock.Restart();
        total.Restart();
        return fit();
    }

    /// <inheritdoc />
    public void OnStep(StepReport step) => samples += step.BatchSize;

    /// <inheritdoc />
    public void OnEpoch(EpochResult epoch)
    {
        output.WriteLine(EpochLine.Format(epoch, maxEpochs, samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            eta: EpochLine.Eta(total.Elapsed, epoch.Epoch + 1, maxEpochs)));
        samples = 0;
        clock.Restart();
    }
}
