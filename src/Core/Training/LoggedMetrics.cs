using Unified.Core.Distributed;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// Batch-size-weighted running means of logged scalars, kept on the values' device so that logging a value costs no
/// host sync; <see cref="Compute()"/> reads them (one sync) at epoch end.
/// </summary>
public sealed class LoggedMetrics : IStateful, IDisposable
{
    readonly Dictionary<string, (Tensor Sum, long Count)> sums = new(StringComparer.Ordinal);
    readonly HashSet<string> progressBar = new(StringComparer.Ordinal);

    /// <summary>Names logged since the last <see cref="Reset"/>, in first-logged order.</summary>
    public IReadOnlyCollection<string> Names => sums.Keys;

    /// <summary>Names that asked to be shown on the progress bar.</summary>
    public IReadOnlyCollection<string> ProgressBarNames => progressBar;

    /// <summary>Adds <paramref name="value"/> (a scalar) with weight <paramref name="batchSize"/>.</summary>
    public void Add(string name, Tensor value, int batchSize = 1, bool showOnProgressBar = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (value.numel() != 1)
            throw new ArgumentException($"Logged value '{name}' has shape [{string.Join(", ", value.shape)}]; only scalars can be logged. Reduce it first (e.g. .mean()).", nameof(value));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Batch size of logged value '{name}' must be at least 1.");
        using var weighted = value.detach().reshape().to_type(ScalarType.Float64).mul(batchSize);
        if (sums.TryGetValue(name, out var entry))
        {
            // A sum restored from a checkpoint lives on the CPU until the first value from the training device arrives.
            if (entry.Sum.device_type != weighted.device_type || entry.Sum.device_index != weighted.device_index)
            {
                var moved = entry.Sum.to(weighted.device).DetachFromDisposeScope();
                entry.Sum.Dispose();
                entry = (moved, entry.Count);
            }
            entry.Sum.add_(weighted);
            sums[name] = (entry.Sum, entry.Count + batchSize);
        }
        else
        {
            sums[name] = (weighted.clone().DetachFromDisposeScope(), batchSize);
        }
        if (showOnProgressBar) progressBar.Add(name);
    }

    /// <summary>The mean of every logged name since the last reset (syncs with the device once per name).</summary>
    public IReadOnlyDictionary<string, double> Compute() =>
        sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum.item<double>() / kv.Value.Count, StringComparer.Ordinal);

    /// <summary>
    /// The mean of every logged name over all ranks of <paramref name="group"/> (collective: every rank calls it, having
    /// logged the same names in the same order): sums and counts are all-reduced, so the result is the mean over every
    /// rank's samples, exactly as one process that saw them all would compute it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks logged different names.</exception>
    public IReadOnlyDictionary<string, double> Compute(IProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.WorldSize == 1) return Compute();
        using var scope = NewDisposeScope();
        var names = sums.Keys.ToList();
        using (var signature = tensor(new[] { names.Count, NameHash(names) }))
        {
            var all = group.AllGather(signature).data<long>().ToArray();
            for (int r = 0; r < group.WorldSize; r++)
                if (all[2 * r] != names.Count || all[2 * r + 1] != NameHash(names))
                    throw new InvalidOperationException(
                        $"Rank {group.Rank} logged {names.Count} metric names ({string.Join(", ", names)}) but rank {r} logged {all[2 * r]} or different ones; "
                        + "every rank must log the same names in the same order (log unconditionally, not only on some ranks).");
        }
        if (names.Count == 0) return new Dictionary<string, double>(StringComparer.Ordinal);
        var packed = cat(names.Select(n => stack([sums[n].Sum.cpu(), tensor((double)sums[n].Count)])).ToArray());
        group.AllReduce(packed, ReduceOp.Sum);
        var values = packed.data<double>().ToArray();
        return names.Select((n, i) => (n, values[2 * i] / values[2 * i + 1])).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);
    }

    // FNV-1a over the ordered names: the same on every rank (string.GetHashCode is randomised per process).
    static long NameHash(IEnumerable<string> names)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in string.Join('\n', names)) hash = (hash ^ c) * 1099511628211UL;
        return (long)(hash >> 1);
    }

    /// <summary>Forgets every value (call at epoch start).</summary>
    public void Reset()
    {
        foreach (var (sum, _) in sums.Values) sum.Dispose();
        sums.Clear();
    }

    /// <summary>The running sums and counts, so that an epoch resumed mid-way reports the same means (<c>sums.{name}</c>, <c>counts.{name}</c>).</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (name, (sum, count)) in sums)
        {
            state.Tensors[$"sums.{name}"] = sum;
            state.Values[$"counts.{name}"] = count;
            state.Values[$"progress_bar.{name}"] = progressBar.Contains(name);
        }
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        Reset();
        foreach (var (key, sum) in state.Tensors)
        {
            if (!key.StartsWith("sums.", StringComparison.Ordinal) || sum.numel() != 1)
                throw new InvalidDataException($"Logged-metric state entry '{key}' is not a scalar running sum 'sums.NAME'.");
            string name = key["sums.".Length..];
            sums[name] = (sum.to(ScalarType.Float64, copy: true).reshape().DetachFromDisposeScope(), state.Value<long>($"counts.{name}"));
            if (state.Value<bool>($"progress_bar.{name}")) progressBar.Add(name);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
