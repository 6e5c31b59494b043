using System.Globalization;
using ScottPlot;

namespace Unified.Tuning.Visualization;

/// <summary>
/// PNG charts of a study, as Optuna's <c>plot_optimization_history</c> and <c>plot_param_importances</c>, drawn with
/// ScottPlot. Each writes the file atomically (a temporary file in the same folder, then a rename) and refuses to
/// replace an existing file.
/// </summary>
/// <example><code>
/// StudyPlots.SaveOptimizationHistory(study, "history.png");
/// StudyPlots.SaveParamImportances(study, "importances.png");
/// </code></example>
public static class StudyPlots
{
    /// <summary>Default width of a chart in pixels.</summary>
    public const int DefaultWidth = 800;

    /// <summary>Default height of a chart in pixels.</summary>
    public const int DefaultHeight = 500;

    /// <summary>
    /// The objective value of every complete trial by trial number, pruned trials' last reported values in grey, and
    /// the best value so far as a step line.
    /// </summary>
    /// <exception cref="InvalidOperationException">No trial has completed.</exception>
    /// <exception cref="IOException"><paramref name="path"/> exists.</exception>
    public static void SaveOptimizationHistory(Study study, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(study);
        var trials = study.Trials;
        var complete = trials.Where(t => t.State == TrialState.Complete).ToArray();
        if (complete.Length == 0) throw new InvalidOperationException($"Study '{study.Name}' has no complete trial to plot: run Optimize first.");
        var plot = new Plot();
        var pruned = trials.Where(t => t.State == TrialState.Pruned && t.Value is not null).ToArray();
        if (pruned.Length > 0)
        {
            var points = plot.Add.ScatterPoints(pruned.Select(t => (double)t.Number).ToArray(), pruned.Select(t => t.Value!.Value).ToArray(), Colors.Gray);
            points.LegendText = "pruned (last reported value)";
            points.MarkerSize = 7;
        }
        var values = plot.Add.ScatterPoints(complete.Select(t => (double)t.Number).ToArray(), complete.Select(t => t.Value!.Value).ToArray(), Colors.C0);
        values.LegendText = "objective value";
        values.MarkerSize = 8;
        bool maximize = study.Direction == StudyDirection.Maximize;
        var best = new double[complete.Length];
        for (int i = 0; i < complete.Length; i++)
        {
            double v = complete[i].Value!.Value;
            best[i] = i == 0 ? v : maximize ? Math.Max(best[i - 1], v) : Math.Min(best[i - 1], v);
        }
        var line = plot.Add.ScatterLine(complete.Select(t => (double)t.Number).ToArray(), best, Colors.C1);
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LineWidth = 2;
        line.LegendText = "best value";
        plot.Title($"Optimization history of {study.Name}");
        plot.XLabel("trial");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel(maximize ? "objective value (maximised)" : "objective value (minimised)");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path, width, height);
    }

    /// <summary>
    /// The parameters' importances (<see cref="ParamImportances"/>) as horizontal bars, the most important on top,
    /// each labelled with its value.
    /// </summary>
    /// <exception cref="InvalidOperationException">Fewer than two complete trials.</exception>
    /// <exception cref="IOException"><paramref name="path"/> exists.</exception>
    public static void SaveParamImportances(Study study, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(study);
        var importances = ParamImportances.Evaluate(study).Reverse().ToArray(); // bars go bottom-up
        var plot = new Plot();
        var bars = importances.Select((p, i) => new Bar
        {
            Position = i,
            Value = p.Value,
            Label = p.Value.ToString("F2", CultureInfo.InvariantCulture),
            FillColor = Colors.C0,
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, importances.Length).Select(i => (double)i).ToArray(), importances.Select(p => p.Key).ToArray());
        plot.Axes.SetLimitsX(0, 1.1);
        plot.Title($"Hyper-parameter importances of {study.Name}");
        plot.XLabel("importance (share of the objective's rank variance explained, normalised)");
        Save(plot, path, width, height);
    }

    static void Save(Plot plot, string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (File.Exists(path)) throw new IOException($"'{path}' exists; it was left as it was: choose another file or folder for the plots.");
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, plot.GetImageBytes(width, height, ImageFormat.Png));
            File.Move(temporary, full, overwrite: false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
