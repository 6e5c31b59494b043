using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Unified.Ignite;

/// <summary>
/// A tqdm bar format string (Ignite's <c>ProgressBar(bar_format=...)</c>), rendered as tqdm's <c>format_meter</c>
/// renders it: <c>{desc}</c> (the description and ": "), <c>{n}</c>/<c>{n_fmt}</c>, <c>{total}</c>/<c>{total_fmt}</c>,
/// <c>{percentage}</c>, <c>{bar}</c> (10 cells of █ and eighths), <c>{postfix}</c> (", " and the metrics),
/// <c>{elapsed}</c>, <c>{remaining}</c>, <c>{rate}</c>, <c>{rate_fmt}</c>, each with an optional Python format spec
/// such as <c>{percentage:3.0f}</c>.
/// </summary>
/// <example><code>new BarFormat(BarFormat.IgniteDefault).Render("Epoch [2/2]", 1, 2, TimeSpan.Zero, "a=1")
/// // "Epoch [2/2]: [1/2]  50%|█████     , a=1 [00:00&lt;00:00]"</code></example>
public sealed partial class BarFormat
{
    /// <summary>Ignite's default: <c>{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}&lt;{remaining}]</c>.</summary>
    public const string IgniteDefault = "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]";

    const string BarCells = " ▏▎▍▌▋▊▉█";
    static readonly HashSet<string> Known = ["desc", "n", "n_fmt", "total", "total_fmt", "percentage", "bar", "postfix", "elapsed", "remaining", "rate", "rate_fmt"];

    /// <summary>Checks <paramref name="format"/>'s placeholders and specs.</summary>
    /// <exception cref="ArgumentException">An unknown placeholder or an unsupported format spec.</exception>
    public BarFormat(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        foreach (Match m in Placeholder().Matches(format))
        {
            if (!Known.Contains(m.Groups["name"].Value))
                throw new ArgumentException($"The bar format uses {{{m.Groups["name"].Value}}}; supported placeholders: {string.Join(", ", Known.Select(k => "{" + k + "}"))}.", nameof(format));
            if (m.Groups["spec"].Success && !Spec().IsMatch(m.Groups["spec"].Value))
                throw new ArgumentException($"The bar format spec '{m.Groups["spec"].Value}' of {{{m.Groups["name"].Value}}} is not supported; use [<>^][width][.precision][f|d|s].", nameof(format));
        }
        Format = format;
    }

    /// <summary>The format string.</summary>
    public string Format { get; }

    /// <summary>Renders the bar after <paramref name="n"/> of <paramref name="total"/> steps (null: unknown).</summary>
    public string Render(string? description, long n, long? total, TimeSpan elapsed, string? postfix)
    {
        double seconds = elapsed.TotalSeconds;
        double? rate = seconds > 0 && n > 0 ? n / seconds : null;
        double fraction = total is > 0 ? Math.Min(1.0, (double)n / total.Value) : 0;
        var values = new Dictionary<string, object>
        {
            ["desc"] = string.IsNullOrEmpty(description) ? "" : description.EndsWith(": ", StringComparison.Ordinal) ? description : description + ": ",
            ["n"] = n,
            ["n_fmt"] = n.ToString(CultureInfo.InvariantCulture),
            ["total"] = total is long t ? t : "?",
            ["total_fmt"] = total is long tf ? tf.ToString(CultureInfo.InvariantCulture) : "?",
            ["percentage"] = fraction * 100,
            ["bar"] = Bar(fraction, 10),
            ["postfix"] = string.IsNullOrEmpty(postfix) ? "" : ", " + postfix,
            ["elapsed"] = Interval(seconds),
            ["remaining"] = rate is double r && total is long left ? Interval((left - n) / r) : "?",
            ["rate"] = rate is double rr ? rr : "?",
            ["rate_fmt"] = RateFormat(rate),
        };
        return Placeholder().Replace(Format, m => Apply(values[m.Groups["name"].Value], m.Groups["spec"].Success ? m.Groups["spec"].Value : null));
    }

    /// <summary>A number as tqdm's <c>format_num</c> shows a postfix value: <c>{:.3g}</c> when shorter than Python's <c>str</c>.</summary>
    public static string FormatNumber(double value)
    {
        string g = PythonG(value, 3).Replace("+0", "+", StringComparison.Ordinal).Replace("-0", "-", StringComparison.Ordinal);
        string str = PythonStr(value);
        return g.Length < str.Length ? g : str;
    }

    // tqdm's Bar: full cells, then one partial cell (eighths; a space for none), then spaces.
    static string Bar(double fraction, int width)
    {
        int eighths = (int)(fraction * width * 8);
        int full = eighths / 8, partial = eighths % 8;
        var bar = new StringBuilder().Append(BarCells[^1], full);
        if (full < width) bar.Append(BarCells[partial]).Append(' ', width - full - 1);
        return bar.ToString();
    }

    // tqdm's format_interval: mm:ss, or h:mm:ss from an hour.
    static string Interval(double seconds)
    {
        long whole = (long)seconds, minutes = whole / 60, s = whole % 60, h = minutes / 60, m = minutes % 60;
        return h > 0 ? string.Create(CultureInfo.InvariantCulture, $"{h}:{m:00}:{s:00}") : string.Create(CultureInfo.InvariantCulture, $"{m:00}:{s:00}");
    }

    // tqdm: "{0:5.2f}it/s", or "{0:5.2f}s/it" when an iteration takes over a second, "?it/s" before any.
    static string RateFormat(double? rate) => rate switch
    {
        null => "?it/s",
        < 1 => Apply(1 / rate.Value, "5.2f") + "s/it",
        _ => Apply(rate.Value, "5.2f") + "it/s",
    };

    static string Apply(object value, string? spec)
    {
        if (spec is null) return value switch
        {
            double d => PythonStr(d),
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => (string)value,
        };
        var m = Spec().Match(spec);
        char? align = m.Groups["align"].Success ? m.Groups["align"].Value[0] : null;
        int width = m.Groups["width"].Success ? int.Parse(m.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        int? precision = m.Groups["precision"].Success ? int.Parse(m.Groups["precision"].Value, CultureInfo.InvariantCulture) : null;
        string text = value switch
        {
            double d when m.Groups["type"].Value is "f" or "" && precision is int p => d.ToString("F" + p, CultureInfo.InvariantCulture),
            double d => PythonStr(d),
            long l when precision is int p => ((double)l).ToString("F" + p, CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => (string)value,
        };
        // Python aligns numbers right and text left by default.
        return (align ?? (value is string ? '<' : '>')) switch
        {
            '<' => text.PadRight(width),
            '^' => text.PadLeft((width + text.Length) / 2).PadRight(width),
            _ => text.PadLeft(width),
        };
    }

    static string PythonStr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        string r = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        int e = r.IndexOf('e');
        if (e >= 0)
        {
            string exponent = r[(e + 1)..], sign = exponent.StartsWith('-') ? "-" : "+";
            return r[..e] + "e" + sign + exponent.TrimStart('+', '-').PadLeft(2, '0');
        }
        return r.Contains('.') ? r : r + ".0";
    }

    // Python's "{:.Ng}": N significant digits, exponent form below 1e-4 or from 10^N, trailing zeros removed.
    static string PythonG(double value, int digits)
    {
        if (value == 0 || !double.IsFinite(value)) return value == 0 ? "0" : PythonStr(value);
        string exponentForm = value.ToString("E" + (digits - 1), CultureInfo.InvariantCulture);
        int exponent = int.Parse(exponentForm[(exponentForm.IndexOf('E') + 1)..], CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= digits)
        {
            string mantissa = exponentForm[..exponentForm.IndexOf('E')];
            if (mantissa.Contains('.')) mantissa = mantissa.TrimEnd('0').TrimEnd('.');
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        string fixedForm = value.ToString("F" + Math.Max(0, digits - 1 - exponent), CultureInfo.InvariantCulture);
        return fixedForm.Contains('.') ? fixedForm.TrimEnd('0').TrimEnd('.') : fixedForm;
    }

    [GeneratedRegex(@"\{(?<name>[a-z_]+)(?::(?<spec>[^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<align>[<>^])?(?<width>\d+)?(?:\.(?<precision>\d+))?(?<type>[fds])?$")]
    private static partial Regex Spec();
}
