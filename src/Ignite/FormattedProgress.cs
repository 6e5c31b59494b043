using System.Diagnostics;
using Unified.Core.Logging;
using Unified.Core.Training;

namespace Unified.Ignite;

/// <summary>
/// One line per epoch in a <see cref="BarFormat"/> (Ignite's <c>bar_format</c>): the bar as it stands when the epoch
/// closes, described as Ignite describes it ("Iteration" for a one-epoch run, else "Epoch [e/E]"), with the shown
/// metrics as its postfix.
/// </summary>
internal sealed class FormattedProgress(TextWriter writer, BarFormat format, int maxEpochs, int epochLength) : IProgressDisplay
{
    readonly Stopwatch epochTime = new();
    long steps;

    public void Start() { }

    public void OnStep(StepReport step)
    {
        if (step.BatchIndex == 0) { epochTime.Restart(); steps = 0; }
        steps++;
    }

    public void OnEpoch(EpochResult epoch)
    {
        string description = maxEpochs > 1 ? $"Epoch [{epoch.Epoch + 1}/{maxEpochs}]" : "Iteration";
        string postfix = string.Join(", ", epoch.Metrics.Select(kv => kv.Key + "=" + BarFormat.FormatNumber(kv.Value)));
        writer.WriteLine(format.Render(description, steps, epochLength > 0 ? epochLength : null, epochTime.Elapsed, postfix));
        writer.Flush();
    }

    public void Dispose() { }
}
