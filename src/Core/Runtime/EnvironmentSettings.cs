using System.Globalization;

namespace Unified.Core.Runtime;

/// <summary>
/// Unified's environment variables, read strictly: a variable that is set but cannot be parsed is an error naming it
/// and the values it takes, never a silent default.
/// </summary>
public static class EnvironmentSettings
{
    /// <summary>A switch: unset or empty gives <paramref name="defaultValue"/>; <c>1</c>/<c>true</c>/<c>on</c> and <c>0</c>/<c>false</c>/<c>off</c> (any case).</summary>
    /// <exception cref="InvalidEnvironmentVariableException">The variable holds anything else.</exception>
    public static bool Flag(string name, bool defaultValue)
    {
        string? text = Environment.GetEnvironmentVariable(name)?.Trim();
        if (string.IsNullOrEmpty(text)) return defaultValue;
        return text.ToLowerInvariant() switch
        {
            "1" or "true" or "on" => true,
            "0" or "false" or "off" => false,
            _ => throw new InvalidEnvironmentVariableException(name, text, "1 (on) or 0 (off)"),
        };
    }

    /// <summary>A duration in seconds: unset or empty gives <paramref name="defaultValue"/>; otherwise a number in (0, <paramref name="max"/>].</summary>
    /// <exception cref="InvalidEnvironmentVariableException">The variable is not such a number.</exception>
    public static TimeSpan Seconds(string name, TimeSpan defaultValue, TimeSpan max)
    {
        string? text = Environment.GetEnvironmentVariable(name)?.Trim();
        if (string.IsNullOrEmpty(text)) return defaultValue;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= max.TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidEnvironmentVariableException(name, text,
                string.Create(CultureInfo.InvariantCulture, $"a number of seconds above 0 and at most {max.TotalSeconds:0} (unset: {defaultValue.TotalSeconds:0})"));
    }
}
