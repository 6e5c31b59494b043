using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Unified.Core.Checkpointing;

namespace Unified.Core.Logging;

/// <summary>
/// Writes <c>hparams.yaml</c> as Lightning's <c>save_hparams_to_yaml</c> does (PyYAML's <c>yaml.dump</c>: keys sorted,
/// block style, enums by name), atomically.
/// </summary>
internal static partial class HparamsYaml
{
    /// <summary>The file name Lightning uses.</summary>
    public const string FileName = "hparams.yaml";

    /// <summary>Writes <paramref name="hyperparameters"/> to <paramref name="path"/>, replacing the file whole.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, object?> hyperparameters) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            writer.Write(Dump(hyperparameters));
        });

    /// <summary>The YAML text of <paramref name="values"/>.</summary>
    public static string Dump(IReadOnlyDictionary<string, object?> values)
    {
        var text = new StringBuilder();
        if (values.Count == 0) return "{}\n";
        Map(text, values, 0);
        return text.ToString();
    }

    static void Map(StringBuilder text, IEnumerable<KeyValuePair<string, object?>> entries, int indent)
    {
        foreach (var (key, value) in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(' ', indent).Append(Scalar(key)).Append(':');
            Value(text, value, indent);
        }
    }

    static void Value(StringBuilder text, object? value, int indent)
    {
        if (HyperparameterValues.AsMap(value) is { } map)
        {
            var list = map.ToList();
            if (list.Count == 0) text.Append(" {}\n");
            else Map(text.Append('\n'), list, indent + 2);
        }
        else if (value is IEnumerable sequence and not string)
        {
            var items = sequence.Cast<object?>().ToList();
            if (items.Count == 0) { text.Append(" []\n"); return; }
            text.Append('\n');
            foreach (var item in items)
            {
                text.Append(' ', indent).Append('-');
                Value(text, item, indent + 2);
            }
        }
        else text.Append(' ').Append(Scalar(value)).Append('\n');
    }

    static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => PythonFormat.YamlFloat(d),
        float f => PythonFormat.YamlFloat(f),
        Half h => PythonFormat.YamlFloat((double)h),
        decimal m => PythonFormat.YamlFloat((double)m),
        Enum e => Text(e.ToString()),
        IFormattable f when HyperparameterValues.AsNumber(value) is not null => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Text(value.ToString() ?? ""),
    };

    // Plain when PyYAML would leave it plain; single-quoted when it would read as another type or as syntax.
    static string Text(string s)
    {
        if (s.Any(c => char.IsControl(c)))
            return "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r") + "\"";
        bool plain = s.Length > 0 && !char.IsWhiteSpace(s[0]) && !char.IsWhiteSpace(s[^1])
            && "-?:,[]{}#&*!|>'\"%@`".IndexOf(s[0]) < 0
            && !s.Contains(": ", StringComparison.Ordinal) && !s.Contains(" #", StringComparison.Ordinal) && !s.EndsWith(':')
            && !Resolvable().IsMatch(s);
        if (s.Length > 1 && s[0] == '-' && s[1] != ' ' && !Resolvable().IsMatch(s)) plain = true;
        return plain ? s : "'" + s.Replace("'", "''") + "'";
    }

    // YAML 1.1 booleans, nulls, numbers and timestamps that PyYAML's resolver would turn into something else.
    [GeneratedRegex(@"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|=|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$")]
    private static partial Regex Resolvable();
}
