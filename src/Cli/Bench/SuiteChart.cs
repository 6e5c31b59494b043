using System.Globalization;
using ScottPlot;

namespace Unified.Cli.Bench;

/// <summary>
/// <c>unified bench --chart FILE.png</c>: the suite's front-end ratios (the hand-written loop is the 1.0 line) beside
/// the per-step overhead, drawn with ScottPlot as the tuning plots are (StudyPlots): written atomically, never over an
/// existing file.
/// </summary>
internal static class SuiteChart
{
    /// <summary>Width of the chart in pixels (two panels side by side).</summary>
    public const int Width = 1000;

    /// <summary>Height of the chart in pixels.</summary>
    public const int Height = 500;

    /// <summary>Throws <see cref="UsageException"/> unless <paramref name="path"/> is a new .png file in an existing folder.</summary>
    public static void Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--chart must name a .png file; got '{path}'.");
        if (File.Exists(path) || Directory.Exists(path))
            throw new UsageException($"--chart '{path}' exists; it was left as it was: choose another file (a chart never replaces a file).");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is null || !Directory.Exists(folder))
            throw new UsageException($"--chart '{path}': the folder {folder} does not exist.");
    }

    /// <summary>Draws <paramref name="report"/> into <paramref name="path"/>.</summary>
    /// <exception cref="IOException"><paramref name="path"/> exists.</exception>
    public static void Save(SuiteReport report, string path)
    {
        var multiplot = new Multiplot();
        multiplot.Reset(Ratios(report));
        multiplot.AddPlot(Overhead(report.StepOverheadUs));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        byte[] png = multiplot.Render(Width, Height).GetImageBytes(ImageFormat.Png);

        if (File.Exists(path)) throw new IOException($"'{path}' exists; it was left as it was: choose another file for the chart.");
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, png);
            File.Move(temporary, full, overwrite: false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    static Plot Ratios(SuiteReport report)
    {
        var plot = new Plot();
        (string Label, double Value, Color Color)[] values =
        [
            ("MLP Lightning", report.Mlp.LightningRatio, Colors.C0),
            ("MLP Ignite", report.Mlp.IgniteRatio, Colors.C1),
            ("CNN Lightning", report.Cnn.LightningRatio, Colors.C0),
            ("CNN Ignite", report.Cnn.IgniteRatio, Colors.C1),
        ];
        AddBars(plot, values, "F3");
        Line(plot, 1.0, Colors.Black, LinePattern.Solid, "hand-written TorchSharp loop = 1.0");
        Line(plot, 1.02, Colors.Gray, LinePattern.Dashed, "goal ≤ 1.02");
        plot.Axes.SetLimitsY(0, Math.Max(1.3, values.Max(v => v.Value) * 1.3)); // room for the legend above the bars
        plot.Title("One epoch, front-end / hand-written loop");
        plot.YLabel("time ratio (lower is faster)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    static Plot Overhead(StepOverhead overhead)
    {
        var plot = new Plot();
        (string, double, Color)[] values = [("Lightning", overhead.Lightning, Colors.C0), ("Ignite", overhead.Ignite, Colors.C1)];
        AddBars(plot, values, "F1");
        Line(plot, 20, Colors.Gray, LinePattern.Dashed, "goal ≤ 20 µs");
        plot.Axes.SetLimitsY(Math.Min(0, Math.Min(overhead.Lightning, overhead.Ignite) * 1.2), Math.Max(25, Math.Max(overhead.Lightning, overhead.Ignite) * 1.2));
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Step overhead, Linear 10→1 (raw step {overhead.RawStepUs:F1} µs)"));
        plot.YLabel("µs per step over the hand-written loop");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    static void AddBars(Plot plot, (string Label, double Value, Color Color)[] values, string format)
    {
        var bars = values.Select((v, i) => new Bar
        {
            Position = i,
            Value = v.Value,
            Label = v.Value.ToString(format, CultureInfo.InvariantCulture),
            FillColor = v.Color,
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), values.Select(v => v.Label).ToArray());
    }

    static void Line(Plot plot, double y, Color color, LinePattern pattern, string legend)
    {
        var line = plot.Add.HorizontalLine(y, 1.5f, color, pattern);
        line.LegendText = legend;
    }
}
