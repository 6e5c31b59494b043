namespace Unified.Core.Metrics;

/// <summary>Reads <see cref="Average"/> modes from configuration text.</summary>
public static class Averages
{
    /// <summary>The mode named <paramref name="text"/> (<c>micro</c>, <c>macro</c>, <c>weighted</c>, <c>none</c>; any case).</summary>
    /// <exception cref="ArgumentException">It names no mode.</exception>
    public static Average Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "micro" => Average.Micro,
            "macro" => Average.Macro,
            "weighted" => Average.Weighted,
            "none" => Average.None,
            _ => throw new ArgumentException($"Unknown average mode '{text}'; use micro, macro, weighted or none (binary tasks score the positive class and take no average).", nameof(text)),
        };
    }

    /// <summary>Throws unless <paramref name="average"/> is a defined mode (guards casts from integers).</summary>
    internal static void Validate(Average average, string parameter)
    {
        if (!Enum.IsDefined(average))
            throw new ArgumentOutOfRangeException(parameter, average, "Unknown average mode; use Average.Micro, Macro, Weighted or None.");
    }
}
