using Microsoft.Extensions.Logging;

namespace Unified.Cli;

/// <summary>
/// Writes the framework's <see cref="ILogger"/> warnings to the program's error stream as <c>warning: ...</c> lines
/// (an experiment tracker that is down, a logger that failed). Quieter levels are dropped, and so are errors: a
/// failure ends the command, which reports it once itself.
/// </summary>
public sealed class TextWriterLoggerFactory(TextWriter writer, LogLevel minimum = LogLevel.Warning) : ILoggerFactory
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(writer, minimum);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("unified writes its own warnings; host Unified in a Microsoft.Extensions.Hosting app to add providers.");

    /// <inheritdoc />
    public void Dispose() { }

    sealed class Logger(TextWriter writer, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel < LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string level = logLevel == LogLevel.Warning ? "warning" : "info";
            string detail = exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})";
            lock (writer) writer.WriteLine($"{level}: {formatter(state, exception)}{detail}");
        }
    }
}
