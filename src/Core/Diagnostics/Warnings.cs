namespace Unified.Core.Diagnostics;

/// <summary>
/// Warnings for the user (Python's <c>warnings.warn</c>, Lightning's <c>rank_zero_warn</c>): written to standard
/// error unless a host routes them elsewhere (e.g. to an <c>ILogger</c>) through <see cref="Sink"/>.
/// </summary>
public static class Warnings
{
    /// <summary>Where warnings go; standard error by default.</summary>
    public static Action<string> Sink { get; set; } = message => Console.Error.WriteLine($"warning: {message}");

    /// <summary>Emits <paramref name="message"/>.</summary>
    public static void Warn(string message) => Sink(message);
}
