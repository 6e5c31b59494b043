namespace Unified.Core.Training;

/// <summary>
/// Logged values read at one moment, in Lightning's three views (logger_connector/result.py <c>metrics</c>): what
/// callbacks monitor (plain and suffixed names), what goes to the loggers (suffixed names only), what the progress bar shows.
/// </summary>
public sealed record LoggedValues(
    IReadOnlyDictionary<string, double> Callback,
    IReadOnlyDictionary<string, double> Logged,
    IReadOnlyDictionary<string, double> ProgressBar)
{
    /// <summary>Nothing logged.</summary>
    public static LoggedValues Empty { get; } = new(new Dictionary<string, double>(), new Dictionary<string, double>(), new Dictionary<string, double>());
}
