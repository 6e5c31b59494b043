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
    readonly Dictionary<(string Event, string Handler), (TimeSpan Total, long Calls)> times = [];
    long iterations;

    /// <summary>Starts timing <paramref name="engine"/>'s handlers.</summary>
    public void Attach(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.HandlerTimer = Record;
        engine.On(Events.IterationCompleted, () => iterations++);
    }

    /// <summary>Total time and calls per (event, handler), the handler named by its method.</summary>
    public IReadOnlyDictionary<(string Event, string Handler), (TimeSpan Total, long Calls)> Results => times;

    /// <summary>The handlers' time per iteration, over the events fired every iteration; zero before an iteration ran.</summary>
    public TimeSpan OverheadPerIteration => iterations == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(times
        .Where(kv => kv.Key.Event is "GET_BATCH_STARTED" or "GET_BATCH_COMPLETED" or "ITERATION_STARTED" or "ITERATION_COMPLETED")
        .Sum(kv => kv.Value.Total.Ticks) / iterations);

    /// <summary>A table of the results, slowest first.</summary>
    public string Report()
    {
        var text = new StringBuilder("event\thandler\tcalls\ttotal_ms\tmean_us\n");
        foreach (var ((evt, handler), (total, calls)) in times.OrderByDescending(kv => kv.Value.Total))
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
        var key = (evt.Name, Name(handler));
        var (total, calls) = times.GetValueOrDefault(key);
        times[key] = (total + elapsed, calls + 1);
    }
}
