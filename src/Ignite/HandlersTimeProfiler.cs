using System.Globalization;
using System.Text;

namespace Unified.Ignite;

/// <summary>
/// Times every handler of an engine per event, as Ignite's <c>HandlersTimeProfiler</c>: attach it before the run, read
/// <see cref="Results"/> or <see cref="Report"/> after. <see cref="OverheadPerIteration"/> is the handlers' time per
/// iteration (batch and iteration events), what a handler costs the training loop.
/// </summary>
/// <example><code>var profiler = new HandlersTimeProfiler(); profiler.Attach(trainer); trainer.Run(data); Console.WriteLine(profiler.Report());</code></example>
public sealed class HandlersTimeProfiler
{
    // By event and delegate, compared by reference: recording after each handler hashes two pointers and names nothing.
    readonly Dictionary<(Event Event, Delegate Handler), Timing> times = new(ByReference.Instance);
    readonly Action countIteration;
    long iterations;

    /// <summary>A profiler to attach.</summary>
    public HandlersTimeProfiler() => countIteration = () => iterations++;

    /// <summary>Starts timing <paramref name="engine"/>'s handlers.</summary>
    public void Attach(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.HandlerTimer = Record;
        engine.On(Events.IterationCompleted, countIteration);
    }

    /// <summary>Total time and calls per (event, handler), the handler named by its method (the profiler's own counter left out).</summary>
    public IReadOnlyDictionary<(string Event, string Handler), (TimeSpan Total, long Calls)> Results => times
        .GroupBy(kv => (kv.Key.Event.Name, Name(kv.Key.Handler)))
        .ToDictionary(g => g.Key, g => (TimeSpan.FromTicks(g.Sum(kv => kv.Value.Ticks)), g.Sum(kv => kv.Value.Calls)));

    /// <summary>The handlers' time per iteration, over the events fired every iteration; zero before an iteration ran.</summary>
    public TimeSpan OverheadPerIteration => iterations == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(times
        .Where(kv => kv.Key.Event.Kind is EventKind.GetBatchStarted or EventKind.GetBatchCompleted or EventKind.IterationStarted or EventKind.IterationCompleted)
        .Sum(kv => kv.Value.Ticks) / iterations);

    /// <summary>A table of the results, slowest first.</summary>
    public string Report()
    {
        var text = new StringBuilder("event\thandler\tcalls\ttotal_ms\tmean_us\n");
        foreach (var ((evt, handler), (total, calls)) in Results.OrderByDescending(kv => kv.Value.Total))
            text.Append(CultureInfo.InvariantCulture, $"{evt}\t{handler}\t{calls}\t{total.TotalMilliseconds:F3}\t{total.TotalMicroseconds / calls:F2}\n");
        text.Append(CultureInfo.InvariantCulture, $"per iteration\t\t{iterations}\t\t{OverheadPerIteration.TotalMicroseconds:F2}\n");
        return text.ToString();
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<System.Reflection.MethodInfo, string> Names = new();

    // A lambda is named after the type and method it is written in (its closure class and "<Attach>b__2" are the
    // compiler's): "MetricAttachment.Attach λ2", as Ignite names handlers by __qualname__.
    static string Name(Delegate handler) => Names.GetOrAdd(handler.Method, method =>
    {
        var type = method.DeclaringType;
        while (type is { DeclaringType: not null } && type.Name.StartsWith('<')) type = type.DeclaringType;
        string name = method.Name;
        if (name.StartsWith('<') && name.IndexOf('>') is int close and > 1)
            name = name[1..close] + " λ" + name[(name.LastIndexOf("__", StringComparison.Ordinal) is int i and >= 0 ? i + 2 : close + 1)..];
        return $"{type?.Name}.{name}";
    });

    void Record(Event evt, Delegate handler, TimeSpan elapsed)
    {
        if (ReferenceEquals(handler, countIteration)) return;
        if (!times.TryGetValue((evt, handler), out var timing)) times[(evt, handler)] = timing = new Timing();
        timing.Ticks += elapsed.Ticks;
        timing.Calls++;
    }

    sealed class Timing
    {
        public long Ticks;
        public long Calls;
    }

    sealed class ByReference : IEqualityComparer<(Event Event, Delegate Handler)>
    {
        public static readonly ByReference Instance = new();

        public bool Equals((Event Event, Delegate Handler) x, (Event Event, Delegate Handler) y) =>
            ReferenceEquals(x.Event, y.Event) && ReferenceEquals(x.Handler, y.Handler);

        public int GetHashCode((Event Event, Delegate Handler) key) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.Event), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.Handler));
    }
}
