using System.Diagnostics;
using Unified.Adapters;
using Unified.Core.Training;

namespace Unified.Cli.Fit;

/// <summary>One line per epoch, for logs and pipes; reads no tensor, so it adds no device sync.</summary>
public sealed class PlainProgress(TextWriter output, int maxEpochs) : IFitProgress
{
    readonly Stopwatch clock = new();
    long samples;

    /// <inheritdoc />
    public T Run<T>(Func<T> fit)
    {
        clock.Restart();
        return fit();
    }

    /// <inheritdoc />
    public void OnStep(StepReport step) => samples += step.BatchSize;

    /// <inheritdoc />
    public void OnEpoch(EpochResult epoch)
    {
        output.WriteLine(EpochLine.Format(epoch, maxEpochs, samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
        samples = 0;
        clock.Restart();
    }
}
