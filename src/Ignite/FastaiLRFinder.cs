using System.Globalization;
using TorchSharp.Modules;
using Unified.Core.Checkpointing;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// The learning-rate range test of fastai, as Ignite's <c>FastaiLRFinder</c> (ignite/handlers/lr_finder.py): while
/// attached, the trainer's run raises the learning rate every iteration from <c>startLr</c> to <c>endLr</c> over
/// <c>numIter</c> iterations (exponentially or linearly), records the smoothed loss, and stops once the loss exceeds
/// <c>divergeTh</c> times the best one. Disposing the attachment restores the objects of <c>toSave</c> and the
/// trainer's state as they were (Ignite's context manager). Differences: the start LR is set at <c>Started</c> (Ignite
/// sets it after the first iteration), and the loss is this process's (Ignite all-reduces it).
/// </summary>
/// <example><code>
/// var finder = new FastaiLRFinder();
/// using (finder.Attach(trainer, Supervised.ToSave(trainer).Parts, optimizer, startLr: 1e-6, endLr: 1))
///     trainer.Run(data.Train, maxEpochs: 1);
/// double lr = finder.Suggestion();   // the model, the optimizer and the trainer are as before
/// finder.Plot("lr_finder.png");
/// </code></example>
public sealed class FastaiLRFinder
{
    readonly List<double> lrs = [], losses = [];
    double? bestLoss;

    /// <summary>Whether the last run stopped because the loss diverged (Ignite warns when it did not: increase <c>endLr</c> or lower <c>divergeTh</c>).</summary>
    public bool Diverged { get; private set; }

    /// <summary>The learning rate (of the first parameter group) and the smoothed loss of every iteration, as Ignite's <c>get_results()</c>.</summary>
    public (IReadOnlyList<double> Lr, IReadOnlyList<double> Loss) GetResults() => (lrs, losses);

    /// <summary>
    /// Attaches the range test to <paramref name="trainer"/> until the returned handle is disposed, which detaches it
    /// and restores <paramref name="toSave"/> (which must hold <c>optimizer</c>) and the trainer's state.
    /// </summary>
    /// <param name="trainer">The trainer whose next run is the test.</param>
    /// <param name="toSave">What to restore afterwards (e.g. <c>Supervised.ToSave(trainer).Parts</c>); the trainer is added unless it is in it.</param>
    /// <param name="optimizer">The optimiser whose learning rates the test sets.</param>
    /// <param name="outputTransform">The loss from the engine's output (default: a one-element tensor or a number).</param>
    /// <param name="numIter">Iterations of the test (default: the run's); the run is extended when it is shorter.</param>
    /// <param name="startLr">The first learning rate (default: each group's current one).</param>
    /// <param name="endLr">The last learning rate.</param>
    /// <param name="stepMode"><c>exp</c> (default) or <c>linear</c>.</param>
    /// <param name="smoothF">Loss smoothing in [0, 1): loss = smoothF·loss + (1 − smoothF)·previous.</param>
    /// <param name="divergeTh">Stop once the loss exceeds this multiple (≥ 1) of the best.</param>
    /// <exception cref="ArgumentException">A bad argument, named; or <paramref name="toSave"/> without <c>optimizer</c>.</exception>
    public IDisposable Attach(Engine trainer, IReadOnlyDictionary<string, IStateful> toSave, optim.Optimizer optimizer, Func<object?, double>? outputTransform = null,
        int? numIter = null, double? startLr = null, double endLr = 10.0, string stepMode = "exp", double smoothF = 0.05, double divergeTh = 5.0)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(toSave);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!toSave.ContainsKey("optimizer")) throw new ArgumentException("toSave should contain an 'optimizer' key (the optimizer's state to restore).", nameof(toSave));
        if (!(smoothF >= 0 && smoothF < 1)) throw new ArgumentOutOfRangeException(nameof(smoothF), smoothF, "smoothF is outside the range [0, 1).");
        if (!(divergeTh >= 1)) throw new ArgumentOutOfRangeException(nameof(divergeTh), divergeTh, "divergeTh should be at least 1.");
        if (stepMode is not ("exp" or "linear")) throw new ArgumentException($"stepMode should be 'exp' or 'linear', not '{stepMode}'.", nameof(stepMode));
        if (numIter < 1) throw new ArgumentOutOfRangeException(nameof(numIter), numIter, "if provided, numIter should be positive.");
        var groups = optimizer.ParamGroups.OfType<ParamGroup>().ToList();
        var starts = groups.Select(g => startLr ?? g.LearningRate).ToList();
        if (starts.Any(s => !(s > 0) || s >= endLr))
            throw new ArgumentException($"startLr must be positive and less than endLr, startLr={string.Join(", ", starts)} vs endLr={endLr}.", nameof(startLr));

        var parts = toSave.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        // A trainer that never ran has no state dict to restore; it is reset instead.
        bool fresh = trainer.State.EpochLength is null;
        if (fresh) parts = parts.Where(p => !ReferenceEquals(p.Value, trainer)).ToDictionary(StringComparer.Ordinal);
        else if (!parts.Values.Contains(trainer)) parts.Add(parts.ContainsKey("trainer") ? "lr_finder_trainer" : "trainer", trainer);
        string folder = Directory.CreateTempSubdirectory("ignite-lr-finder-").FullName;
        string cache = Path.Combine(folder, "ignite_lr_finder_cache.ckpt");
        CheckpointFile.Save(cache, parts);

        var handles = new List<RemovableHandle>();
        int iterations = 0;
        handles.Add(trainer.On(Events.Started, e =>
        {
            (bestLoss, Diverged) = (null, false);
            losses.Clear();
            lrs.Clear();
            int length = e.State.EpochLength ?? throw new InvalidOperationException("FastaiLRFinder needs the epoch length at Started; pass data with a length, or Run(..., epochLength: N).");
            long planned = e.State.MaxIters ?? (long)length * e.State.MaxEpochs!.Value;
            iterations = numIter ?? (int)planned;
            // lr_finder.py _run: a run shorter than num_iter is extended to it.
            if (planned < iterations) (e.State.MaxIters, e.State.MaxEpochs) = (iterations, (iterations + length - 1) / length);
            SetLr(1);
        }));
        handles.Add(trainer.On(Events.IterationCompleted, e =>
        {
            if (e.State.Iteration > iterations) e.Terminate();
        }));
        handles.Add(trainer.On(Events.IterationCompleted, e =>
        {
            Record(e, outputTransform ?? DefaultLoss, groups[0].LearningRate, smoothF, divergeTh);
            SetLr(lrs.Count + 1);
        }));
        // The LR of iteration i: exp as lr_finder.py's _ExponentialLR (start·(end/start)^(i/n), so the first is above
        // start and the n-th is end); linear as its PiecewiseLinear [(0, start), (n, end)] at event index i - 1.
        void SetLr(long i)
        {
            for (int g = 0; g < groups.Count; g++)
                groups[g].LearningRate = stepMode == "exp"
                    ? starts[g] * Math.Pow(endLr / starts[g], (double)i / iterations)
                    : starts[g] + (endLr - starts[g]) * Math.Min(i - 1, iterations) / iterations;
        }
        return new RemovableHandle(() =>
        {
            foreach (var handle in handles) handle.Remove();
            try
            {
                using var contents = CheckpointFile.Load(cache);
                contents.Restore(parts);
                if (fresh) trainer.ResetState();
            }
            finally
            {
                File.Delete(cache);
                Directory.Delete(folder);
            }
        });
    }

    void Record(Engine trainer, Func<object?, double> outputTransform, double lr, double smoothF, double divergeTh)
    {
        double loss = outputTransform(trainer.State.Output);
        lrs.Add(lr);
        if (losses.Count > 0 && smoothF > 0) loss = smoothF * loss + (1 - smoothF) * losses[^1];
        if (bestLoss is null || loss < bestLoss) bestLoss = loss;
        losses.Add(loss);
        if (loss > divergeTh * bestLoss)
        {
            Diverged = true;
            trainer.Terminate();
        }
    }

    static double DefaultLoss(object? output) => output switch
    {
        double d => d,
        float f => f,
        Tensor { NumberOfElements: 1 } t => Item(t),
        Tensor t => throw new ArgumentException($"if output of the engine is a Tensor, it must have one element, but got shape [{string.Join(", ", t.shape)}]; pass an outputTransform."),
        _ => throw new ArgumentException($"output of the engine should be a number or a one-element Tensor, but got {output?.GetType().Name ?? "null"}; pass an outputTransform that returns the loss."),
    };

    static double Item(Tensor loss)
    {
        using var value = loss.detach().to_type(ScalarType.Float64);
        return value.item<double>();
    }

    /// <summary>
    /// The suggested learning rate, as Ignite's <c>lr_suggestion()</c>: where the loss falls fastest (the most negative
    /// central difference) before its minimum.
    /// </summary>
    /// <exception cref="InvalidOperationException">No run yet, or a curve without a descent of at least 3 points.</exception>
    public double Suggestion() => Suggest(lrs, losses);

    /// <summary><see cref="Suggestion"/> for a given curve.</summary>
    public static double Suggest(IReadOnlyList<double> lrs, IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(lrs);
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count == 0) throw new InvalidOperationException("The learning rate finder didn't run yet, so there is no suggestion.");
        int minimum = 0;
        for (int i = 1; i < losses.Count; i++) if (losses[i] < losses[minimum]) minimum = i;
        if (minimum + 1 < 3)
            throw new InvalidOperationException("FastaiLRFinder got unexpected curve shape, the curve should be somehow U-shaped, please decrease startLr or increase endLr to resolve this issue.");
        int best = 1;
        for (int i = 1; i < minimum; i++)
            if (0.5 * (losses[i + 1] - losses[i - 1]) < 0.5 * (losses[best + 1] - losses[best - 1])) best = i;
        return lrs[best];
    }

    /// <summary>Sets every parameter group's learning rate to the suggestion, as Ignite's <c>apply_suggested_lr</c>.</summary>
    public void ApplySuggestedLr(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double lr = Suggestion();
        foreach (var group in optimizer.ParamGroups.OfType<ParamGroup>()) group.LearningRate = lr;
    }

    /// <summary>
    /// Writes the loss against the learning rate as a PNG, as Ignite's <c>plot</c>: the first <paramref name="skipStart"/>
    /// and last <paramref name="skipEnd"/> points left out, a log axis, the suggestion as a red point. An existing file is not overwritten.
    /// </summary>
    /// <exception cref="InvalidOperationException">No run yet.</exception>
    /// <exception cref="IOException"><paramref name="pngPath"/> exists.</exception>
    public void Plot(string pngPath, int skipStart = 10, int skipEnd = 5, bool logLr = true, bool displaySuggestion = true, int width = 800, int height = 500)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        if (losses.Count == 0) throw new InvalidOperationException("The learning rate finder didn't run yet, so there is nothing to plot.");
        ArgumentOutOfRangeException.ThrowIfNegative(skipStart);
        ArgumentOutOfRangeException.ThrowIfNegative(skipEnd);
        if (File.Exists(pngPath)) throw new IOException($"'{pngPath}' exists; choose another file for the learning-rate plot.");
        var shown = Enumerable.Range(skipStart, Math.Max(0, losses.Count - skipStart - skipEnd)).Where(i => double.IsFinite(losses[i])).ToList();
        double X(int i) => logLr ? Math.Log10(lrs[i]) : lrs[i];
        var plot = new ScottPlot.Plot();
        plot.Add.ScatterLine(shown.Select(X).ToArray(), shown.Select(i => losses[i]).ToArray());
        plot.XLabel("Learning rate");
        plot.YLabel("Loss");
        if (logLr)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("0.##E+0", CultureInfo.InvariantCulture),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
        if (displaySuggestion)
        {
            int s = lrs.IndexOf(Suggestion());
            var marker = plot.Add.Marker(X(s), losses[s]);
            marker.Color = ScottPlot.Colors.Red;
            marker.Size = 10;
        }
        plot.SavePng(pngPath, width, height);
    }
}
