using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// Prints a table of the network's layers when fitting starts, as Lightning's <c>ModelSummary</c> (callbacks/model_summary.py,
/// utilities/model_summary): name, type, parameters and mode of every layer down to <see cref="MaxDepth"/>, then the
/// trainable, non-trainable and total parameter counts and the estimated size of the parameters in MB (their element
/// sizes, 4 bytes each in fp32). Written to an <see cref="ILogger"/> (information) when given, else to a text writer
/// (the console by default); only rank 0 prints.
/// </summary>
/// <example><code>options.Callbacks.Add(new ModelSummary(maxDepth: 2));</code></example>
public sealed class ModelSummary : Callback
{
    static readonly string[] Units = [" ", "K", "M", "B", "T"];
    readonly ILogger? logger;
    readonly TextWriter? output;

    /// <summary>A summary down to <paramref name="maxDepth"/> levels of nesting (0 turns the table off), printed to <paramref name="logger"/>, or <paramref name="output"/> (default the console).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDepth"/> is below -1 (-1: every level).</exception>
    public ModelSummary(int maxDepth = 1, ILogger? logger = null, TextWriter? output = null)
    {
        if (maxDepth < -1) throw new ArgumentOutOfRangeException(nameof(maxDepth), maxDepth, "maxDepth must be -1 (all levels), 0 (off) or a positive depth.");
        (MaxDepth, this.logger, this.output) = (maxDepth, logger, output);
    }

    /// <summary>Levels of nesting shown (Lightning's <c>max_depth</c>, default 1).</summary>
    public int MaxDepth { get; }

    /// <summary>The rows of the last summary.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; private set; } = [];

    /// <summary>Parameters of the network.</summary>
    public long TotalParameters { get; private set; }

    /// <summary>Parameters that require gradients.</summary>
    public long TrainableParameters { get; private set; }

    /// <summary>Estimated size of the parameters in MB (10^6 bytes).</summary>
    public double ModelSizeMb { get; private set; }

    /// <summary>The last summary as printed.</summary>
    public string Text { get; private set; } = "";

    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module)
    {
        if (MaxDepth == 0) return;
        Summarize(module.Network);
        if (!trainer.IsGlobalZero) return;
        if (logger is not null) logger.LogInformation("Model summary:\n{Summary}", Text);
        else (output ?? Console.Out).WriteLine(Text);
    }

    /// <summary>Computes the summary of <paramref name="network"/> (what <see cref="OnFitStart"/> prints).</summary>
    public void Summarize(TorchSharp.torch.nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Layers = network.named_modules()
            .Where(m => m.name.Length > 0 && (MaxDepth == -1 || m.name.Count(c => c == '.') < MaxDepth))
            .Select(m => new LayerSummary(m.name, m.module.GetType().Name, m.module.parameters().Sum(p => p.numel()), m.module.training))
            .ToList();
        var parameters = network.parameters().ToList();
        TotalParameters = parameters.Sum(p => p.numel());
        TrainableParameters = parameters.Where(p => p.requires_grad).Sum(p => p.numel());
        ModelSizeMb = parameters.Sum(p => p.numel() * p.ElementSize) * 1e-6;
        Text = Format(network);
    }

    // Lightning's _format_summary_table: left-aligned columns joined by " | ", dashed rules, then the totals.
    string Format(TorchSharp.torch.nn.Module network)
    {
        var c = CultureInfo.InvariantCulture;
        var columns = new (string Header, List<string> Cells)[]
        {
            (" ", Layers.Select((_, i) => i.ToString(c)).ToList()),
            ("Name", Layers.Select(l => l.Name).ToList()),
            ("Type", Layers.Select(l => l.Type).ToList()),
            ("Params", Layers.Select(l => Count(l.Parameters)).ToList()),
            ("Mode", Layers.Select(l => l.Training ? "train" : "eval").ToList()),
        };
        var widths = columns.Select(col => Math.Max(col.Header.Length, col.Cells.Count == 0 ? 0 : col.Cells.Max(s => s.Length))).ToArray();
        int total = widths.Sum() + 3 * (columns.Length + 1);
        var text = new StringBuilder();
        text.Append(string.Join(" | ", columns.Select((col, i) => col.Header.PadRight(widths[i])))).Append('\n').Append('-', total);
        for (int row = 0; row < Layers.Count; row++)
            text.Append('\n').Append(string.Join(" | ", columns.Select((col, i) => col.Cells[row].PadRight(widths[i]))));
        text.Append('\n').Append('-', total);
        // TorchSharp's modules() leaves out the root, which Lightning counts.
        var modules = network.modules().Prepend(network).ToList();
        void Line(string value, string label) => text.Append('\n').Append(value.PadRight(10)).Append(label);
        Line(Count(TrainableParameters), "Trainable params");
        Line(Count(TotalParameters - TrainableParameters), "Non-trainable params");
        Line(Count(TotalParameters), "Total params");
        Line(ModelSizeMb.ToString("N3", c), "Total estimated model params size (MB)");
        Line(modules.Count(m => m.training).ToString(c), "Modules in train mode");
        Line(modules.Count(m => !m.training).ToString(c), "Modules in eval mode");
        return text.ToString();
    }

    /// <summary>A parameter count as Lightning's <c>get_human_readable_count</c> prints it: 123 → <c>"123  "</c>, 1234 → <c>"1.2 K"</c>, 2e6 → <c>"2.0 M"</c>, 4e14 → <c>"400 T"</c>.</summary>
    public static string Count(long number)
    {
        var c = CultureInfo.InvariantCulture;
        int digits = number > 0 ? (int)Math.Floor(Math.Log10(number)) + 1 : 1;
        int groups = Math.Min((int)Math.Ceiling(digits / 3.0), Units.Length);
        double value = number * Math.Pow(10, -3 * (groups - 1));
        int index = groups - 1;
        return index < 1 || value >= 100 ? $"{((long)value).ToString("N0", c)} {Units[index]}" : $"{value.ToString("N1", c)} {Units[index]}";
    }
}
