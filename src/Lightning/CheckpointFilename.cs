using System.Globalization;
using System.Text.RegularExpressions;

namespace Unified.Lightning;

/// <summary>
/// Lightning's checkpoint file-name templates (ModelCheckpoint._format_checkpoint_name with auto_insert_metric_name):
/// <c>{name}</c> or <c>{name:spec}</c> becomes <c>name=value</c>; a name that was not logged counts as 0.
/// Specs: Python's <c>[0][width][.precision][d|f|e|g]</c>.
/// </summary>
internal static partial class CheckpointFilename
{
    [GeneratedRegex(@"\{([^{}:]+)(?::([^{}]*))?\}")]
    private static partial Regex Field();

    [GeneratedRegex(@"^(0?)(\d*)(?:\.(\d+))?([dfeg]?)$")]
    private static partial Regex Spec();

    public static string Format(string template, IReadOnlyDictionary<string, double> values) =>
        Field().Replace(template, m => m.Groups[1].Value + "=" + FormatValue(values.GetValueOrDefault(m.Groups[1].Value), m.Groups[2].Value));

    /// <summary>Throws when a template's format spec is not one this formatter writes.</summary>
    public static void Validate(string template)
    {
        foreach (Match m in Field().Matches(template))
            if (!Spec().IsMatch(m.Groups[2].Value))
                throw new ArgumentException($"Filename field '{m.Value}' has format '{m.Groups[2].Value}'; use Python's [0][width][.precision][d|f|e|g], e.g. '.3f' or '03d'.", "Filename");
    }

    static string FormatValue(double value, string spec)
    {
        var c = CultureInfo.InvariantCulture;
        var m = Spec().Match(spec);
        bool zeroPad = m.Groups[1].Value == "0";
        int width = m.Groups[2].Value.Length > 0 ? int.Parse(m.Groups[2].Value, c) : 0;
        int? precision = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, c) : null;
        string text = m.Groups[4].Value switch
        {
            "d" => ((long)value).ToString(c),
            "f" => value.ToString("F" + (precision ?? 6), c),
            "e" => value.ToString((precision ?? 6) == 0 ? "0e+00" : "0." + new string('0', precision ?? 6) + "e+00", c),
            "g" => value.ToString("G" + (precision ?? 6), c),
            _ when precision is int p => value.ToString("G" + p, c),
            _ => value == Math.Floor(value) && Math.Abs(value) < 1e15 ? ((long)value).ToString(c) : value.ToString("R", c),
        };
        return text.Length >= width ? text : zeroPad ? (text.StartsWith('-') ? "-" + text[1..].PadLeft(width - 1, '0') : text.PadLeft(width, '0')) : text.PadLeft(width);
    }
}
