using Microsoft.Extensions.Logging;

namespace Unified.Testing;

/// <summary>One <see cref="ILogger"/> call as <see cref="RecordingLoggerFactory"/> saw it.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>An <see cref="ILoggerFactory"/> that keeps every entry, for tests of the framework's log events.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    readonly List<LogEntry> entries = [];

    /// <summary>Every entry so far, in order (a copy).</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get { lock (entries) return entries.ToList(); }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    /// <inheritdoc />
    public void Dispose() { }

    sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.entries) owner.entries.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
        }
    }
}
