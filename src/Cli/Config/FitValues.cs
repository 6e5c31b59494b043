using System.Globalization;

namespace Unified.Cli.Config;

/// <summary>Reads a <see cref="FitKey"/>'s value from text (a flag, a dotted override or a config file), naming the key on error.</summary>
public static class FitValues
{
    /// <summary>
    /// The typed value of <paramref name="raw"/> for <paramref name="key"/>; <paramref name="where"/> names the source in
    /// errors (<c>--epochs</c>, or <c>trainer.max_epochs in 'run.yaml'</c>). <c>null</c> and <c>~</c> mean "none"; so does
    /// an empty value with <paramref name="emptyIsNone"/> (a config file, where YAML's <c>key:</c> reads as empty), while
    /// an empty flag value stays an empty string, for the settings' checks to refuse.
    /// </summary>
    /// <exception cref="UsageException">The text is not a value of the key's type, or is empty for a key that needs one.</exception>
    public static object? Read(FitKey key, string? raw, string where, bool emptyIsNone = false)
    {
        string text = raw?.Trim() ?? "";
        bool none = (text.Length == 0 && (emptyIsNone || raw is null)) || text is "null" or "Null" or "NULL" or "~";
        if (!none && text.Length == 0 && key.Kind == FitValueKind.Text) return raw;
        if (key.Kind == FitValueKind.List)
            return none ? Array.Empty<string>() : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (none)
        {
            if (key.Nullable) return null;
            throw new UsageException($"{where} needs {Expected(key.Kind)}; got {(raw is null ? "nothing" : $"'{raw}'")}.");
        }
        object? value = key.Kind switch
        {
            FitValueKind.Integer => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : null,
            FitValueKind.Long => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) ? l : null,
            FitValueKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null,
            FitValueKind.Boolean => bool.TryParse(text, out bool b) ? b : null,
            _ => raw,
        };
        return value ?? throw new UsageException($"{where} needs {Expected(key.Kind)}; got '{raw}'.");
    }

    /// <summary>The value as YAML (and JSON) writes it: <c>null</c>, a number, <c>true</c>, a quoted string, a flow list.</summary>
    public static string Write(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        IEnumerable<string> list => "[" + string.Join(", ", list.Select(Write)) + "]",
        _ => throw new ArgumentException($"No YAML form for {value.GetType().Name}.", nameof(value)),
    };

    static string Expected(FitValueKind kind) => kind switch
    {
        FitValueKind.Integer or FitValueKind.Long => "a whole number (e.g. 3)",
        FitValueKind.Number => "a number (e.g. 0.001)",
        FitValueKind.Boolean => "true or false",
        _ => "a value",
    };
}
