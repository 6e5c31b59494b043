using System.Diagnostics;
using Unified.Core.Training;

namespace Unified.Core.Logging;

/// <summary>One line per epoch with its metrics, throughput and the time left, for logs and pipes (CI logs stay readable); reads no tensor, so it adds no device sync.</summary>
public sealed class PlainProgress(TextWriter output, int maxEpochs) : IProgressDisplay
{
    readonly Stopwatch clock = new(), total = new();
    long samples;

    /// <inheritdoc />
    public void Start()
    {
        clock.Restart();
        total.Restart();
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

    /// <inheritdoc />
    public void Dispose() => output.Flush();
}
