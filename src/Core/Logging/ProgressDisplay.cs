namespace Unified.Core.Logging;

/// <summary>Picks and runs the progress display a fit shows.</summary>
public static class ProgressDisplay
{
    /// <summary>
    /// A live display when <paramref name="output"/> is the process's interactive terminal, plain epoch lines
    /// otherwise (pipes, CI logs, files).
    /// </summary>
    /// <param name="output">Where the lines go.</param>
    /// <param name="maxEpochs">Epochs the fit runs at most.</param>
    /// <param name="batchesPerEpoch">Training batches per epoch.</param>
    /// <param name="progressBarNames">The metrics to show on the live bar (all when null).</param>
    public static IProgressDisplay Create(TextWriter output, int maxEpochs, int batchesPerEpoch, Func<IReadOnlyCollection<string>>? progressBarNames = null) =>
        output == Console.Out && LiveProgress.IsSupported
            ? new LiveProgress(maxEpochs, batchesPerEpoch, progressBarNames)
            : new PlainProgress(output, maxEpochs);

    /// <summary>Runs <paramref name="fit"/> inside the display: started before, stopped after (also when it throws).</summary>
    public static T Run<T>(this IProgressDisplay display, Func<T> fit)
    {
        display.Start();
        try
        {
            return fit();
        }
        finally
        {
            display.Dispose();
        }
    }
}
