using System.Collections;
using System.Globalization;
using Unified.Core.Distributed;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// Several metrics fed by one <see cref="Update"/>, computed into one dictionary whose keys carry
/// <see cref="Prefix"/>, as torchmetrics' <c>MetricCollection</c>. The collection owns its metrics.
/// </summary>
/// <example><code>
/// using var metrics = new MetricCollection("val_") { { "accuracy", new Accuracy() }, { "f1", new F1(ClassificationTask.Multiclass(10)) } };
/// metrics.Update(logits, labels);
/// var values = metrics.Compute(); // {"val_accuracy": …, "val_f1": …}
/// </code></example>
public sealed class MetricCollection : IReadOnlyDictionary<string, Metric>, IStateful, IDisposable
{
    readonly OrderedDictionary<string, Metric> metrics = new(StringComparer.Ordinal);

    /// <summary>An empty collection whose result keys start with <paramref name="prefix"/> (e.g. <c>"val_"</c>).</summary>
    public MetricCollection(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
    }

    /// <summary>The start of every result key.</summary>
    public string Prefix { get; }

    /// <summary>Adds <paramref name="metric"/> under <paramref name="name"/> (the collection now owns it).</summary>
    /// <exception cref="ArgumentException">The name is empty or taken.</exception>
    public void Add(string name, Metric metric)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(metric);
        if (!metrics.TryAdd(name, metric))
            throw new ArgumentException($"The collection already has a metric named '{name}'.", nameof(name));
    }

    /// <summary>Updates every metric with the same batch.</summary>
    public void Update(Tensor predictions, Tensor targets)
    {
        foreach (var metric in metrics.Values) metric.Update(predictions, targets);
    }

    /// <summary>
    /// Every metric's value under <c>Prefix + name</c>. A non-scalar result spreads over one key per element:
    /// <c>name_i</c> for per-class scores, <c>name_i_j</c> for matrices.
    /// </summary>
    public IReadOnlyDictionary<string, double> Compute()
    {
        var values = new OrderedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, metric) in metrics)
        {
            using var scope = NewDisposeScope();
            var value = metric.ComputeTensor();
            var host = value.to_type(ScalarType.Float64).cpu();
            var numbers = host.data<double>().ToArray();
            if (value.dim() == 0) { values.Add(Prefix + name, numbers[0]); continue; }
            for (int i = 0; i < numbers.Length; i++) values.Add(Prefix + name + Suffix(i, value.shape), numbers[i]);
        }
        return values;
    }

    /// <summary>Every metric's result tensor under <c>Prefix + name</c>; the caller owns (and disposes) them.</summary>
    public IReadOnlyDictionary<string, Tensor> ComputeTensors()
    {
        var values = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, metric) in metrics) values.Add(Prefix + name, metric.ComputeTensor());
        }
        catch
        {
            foreach (var t in values.Values) t.Dispose();
            throw;
        }
        return values;
    }

    /// <summary>Resets every metric.</summary>
    public void Reset()
    {
        foreach (var metric in metrics.Values) metric.Reset();
    }

    /// <summary>Syncs every metric across <paramref name="group"/>, in insertion order (see <see cref="Metric.Sync"/>).</summary>
    public void Sync(IProcessGroup group)
    {
        foreach (var metric in metrics.Values) metric.Sync(group);
    }

    /// <summary>Moves every metric's state to <paramref name="device"/>.</summary>
    public MetricCollection To(Device device)
    {
        foreach (var metric in metrics.Values) metric.To(device);
        return this;
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (name, metric) in metrics) state.Add(name, metric.StateDict());
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (name, metric) in metrics) metric.LoadStateDict(state.Part(name));
    }

    /// <inheritdoc />
    public Metric this[string key] => metrics.TryGetValue(key, out var metric) ? metric
        : throw new KeyNotFoundException($"The collection has no metric named '{key}'; it has {string.Join(", ", metrics.Keys)}.");

    /// <inheritdoc />
    public IEnumerable<string> Keys => metrics.Keys;

    /// <inheritdoc />
    public IEnumerable<Metric> Values => metrics.Values;

    /// <inheritdoc />
    public int Count => metrics.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => metrics.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Metric value) => metrics.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Metric>> GetEnumerator() => metrics.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every metric.</summary>
    public void Dispose()
    {
        foreach (var metric in metrics.Values) metric.Dispose();
    }

    static string Suffix(int flatIndex, long[] shape)
    {
        var parts = new long[shape.Length];
        long rest = flatIndex;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            parts[d] = rest % shape[d];
            rest /= shape[d];
        }
        return "_" + string.Join("_", parts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
    }
}
