using System.Globalization;

namespace Unified.Lightning;

/// <summary>
/// The curve of a learning-rate range test (Lightning's <c>_LRFinder</c>): the learning rate of every step and the
/// smoothed loss after it, a <see cref="Suggestion"/> and a <see cref="Plot"/>.
/// </summary>
public sealed class LrFinderResult
{
    internal LrFinderResult(LrFinderMode mode, double minLr, double maxLr, int numTraining, IReadOnlyList<double> lrs, IReadOnlyList<double> losses)
    {
        (Mode, MinLr, MaxLr, NumTraining, Lrs, Losses) = (mode, minLr, maxLr, numTraining, lrs, losses);
    }

    /// <summary>How the rate grew.</summary>
    public LrFinderMode Mode { get; }

    /// <summary>The first learning rate.</summary>
    public double MinLr { get; }

    /// <summary>The last learning rate of a test that ran to the end.</summary>
    public double MaxLr { get; }

    /// <summary>Steps the test was to take (fewer when the loss diverged).</summary>
    public int NumTraining { get; }

    /// <summary>The learning rate of every step (Lightning's <c>results["lr"]</c>).</summary>
    public IReadOnlyList<double> Lrs { get; }

    /// <summary>The smoothed loss after every step (Lightning's <c>results["loss"]</c>; NaN where it was not finite).</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>
    /// The learning rate where the smoothed loss falls fastest (the minimum of its gradient with respect to the
    /// learning rate, as <c>torch.gradient</c> computes it), skipping <paramref name="skipBegin"/> first and
    /// <paramref name="skipEnd"/> last points and non-finite losses; null when fewer than 2 points remain (Lightning's
    /// <c>suggestion()</c>).
    /// </summary>
    public double? Suggestion(int skipBegin = 10, int skipEnd = 1) => SuggestionIndex(skipBegin, skipEnd) is int i ? Lrs[i] : null;

    /// <summary>The index of <see cref="Suggestion"/> in <see cref="Lrs"/>, or null.</summary>
    public int? SuggestionIndex(int skipBegin = 10, int skipEnd = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skipBegin);
        ArgumentOutOfRangeException.ThrowIfNegative(skipEnd);
        // Python's [skip_begin:-skip_end]: skip_end 0 keeps nothing, as Lightning's slice does.
        var kept = Enumerable.Range(0, Losses.Count).Skip(skipBegin).Take(skipEnd == 0 ? 0 : Math.Max(0, Losses.Count - skipBegin - skipEnd))
            .Where(i => double.IsFinite(Losses[i])).ToList();
        if (kept.Count < 2) return null;
        var x = kept.Select(i => Lrs[i]).ToArray();
        var y = kept.Select(i => Losses[i]).ToArray();
        var gradient = Gradient(y, x);
        int best = 0;
        for (int i = 1; i < gradient.Length; i++) if (gradient[i] < gradient[best]) best = i;
        return kept[best];
    }

    // torch.gradient(y, spacing=[x]) with edge_order 1: one-sided differences at the ends, the second-order
    // non-uniform central difference inside.
    static double[] Gradient(double[] y, double[] x)
    {
        int n = y.Length;
        var g = new double[n];
        g[0] = (y[1] - y[0]) / (x[1] - x[0]);
        g[n - 1] = (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]);
        for (int i = 1; i < n - 1; i++)
        {
            double hd = x[i] - x[i - 1], hs = x[i + 1] - x[i];
            g[i] = (hd * hd * y[i + 1] + (hs * hs - hd * hd) * y[i] - hs * hs * y[i - 1]) / (hs * hd * (hd + hs));
        }
        return g;
    }

    /// <summary>
    /// Writes the curve as a PNG (loss against learning rate, a log axis in exponential mode, the suggestion as a red
    /// point), as Lightning's <c>plot(suggest=True)</c>. An existing file is not overwritten.
    /// </summary>
    /// <exception cref="IOException"><paramref name="pngPath"/> exists.</exception>
    public void Plot(string pngPath, bool suggest = true, int width = 800, int height = 500)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        if (File.Exists(pngPath)) throw new IOException($"'{pngPath}' exists; choose another file for the learning-rate plot.");
        bool log = Mode == LrFinderMode.Exponential;
        var points = Enumerable.Range(0, Math.Min(Lrs.Count, Losses.Count)).Where(i => double.IsFinite(Losses[i])).ToList();
        double X(int i) => log ? Math.Log10(Lrs[i]) : Lrs[i];
        var plot = new ScottPlot.Plot();
        plot.Add.ScatterLine(points.Select(X).ToArray(), points.Select(i => Losses[i]).ToArray());
        plot.XLabel("Learning rate");
        plot.YLabel("Loss");
        if (log)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("0.##E+0", CultureInfo.InvariantCulture),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
        if (suggest && SuggestionIndex() is int s)
        {
            var marker = plot.Add.Marker(X(s), Losses[s]);
            marker.Color = ScottPlot.Colors.Red;
            marker.Size = 10;
        }
        plot.SavePng(pngPath, width, height);
    }
}
