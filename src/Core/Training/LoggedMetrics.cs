using TorchSharp;
using Unified.Core.Distributed;
using Unified.Core.Metrics;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// Logged scalars and metrics of the running epoch, as Lightning's <c>_ResultCollection</c>
/// (trainer/connectors/logger_connector/result.py): per name its <see cref="LogOptions"/>, the latest step value and
/// the epoch's reduction (a batch-size-weighted mean by default), kept on the values' device so that logging costs
/// no host sync; <see cref="ComputeEpoch"/> and <see cref="ComputeStep()"/> read them (one sync each).
/// </summary>
public sealed class LoggedMetrics : IStateful, IDisposable
{
    sealed class Entry(LogOptions options, Metric? metric)
    {
        public LogOptions Options { get; set; } = options;
        public Metric? Metric { get; } = metric;
        public Tensor? Epoch { get; set; }
        // The value being recorded, as float64 (reused from call to call).
        public Tensor? Scratch { get; set; }
        // False for a sum restored from a checkpoint until it is moved to the logged values' device.
        public bool EpochOnValueDevice { get; set; }

        public void FreeTensors()
        {
            Epoch?.Dispose();
            Step?.Dispose();
            Scratch?.Dispose();
            (Epoch, Step, Scratch) = (null, null, null);
        }
        public long Count { get; set; }
        public Tensor? Step { get; set; }
    }

    // Core's own modules log epoch means that every rank agrees on.
    static readonly LogOptions EpochMean = new() { SyncDist = true };
    static readonly LogOptions EpochMeanOnProgressBar = EpochMean with { ProgressBar = true };

    readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    LoggedValues? epochValues;
    Scalar? weight;
    int weightOf;

    /// <summary>Names logged since the last <see cref="Reset"/>, in first-logged order.</summary>
    public IReadOnlyCollection<string> Names => entries.Keys;

    /// <summary>Names that asked to be shown on the progress bar.</summary>
    public IReadOnlyCollection<string> ProgressBarNames => entries.Where(e => e.Value.Options.ProgressBar).Select(e => e.Key).ToList();

    /// <summary>Whether a per-step value was logged since the last <see cref="Reset"/>.</summary>
    public bool HasStepValues { get; private set; }

    /// <summary>Adds <paramref name="value"/> (a scalar) with weight <paramref name="batchSize"/> to the epoch's mean (synced over ranks).</summary>
    public void Add(string name, Tensor value, int batchSize = 1, bool showOnProgressBar = false) =>
        Add(name, value, batchSize, showOnProgressBar ? EpochMeanOnProgressBar : EpochMean);

    /// <summary>Records <paramref name="value"/> (a scalar) as <paramref name="options"/> say; <paramref name="batchSize"/> weighs it in an epoch mean.</summary>
    /// <exception cref="ArgumentException">Not a scalar, a batch size below 1, or the name was logged with other options this epoch.</exception>
    public void Add(string name, Tensor value, int batchSize, LogOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (value.numel() != 1)
            throw new ArgumentException($"Logged value '{name}' has shape [{string.Join(", ", value.shape)}]; only scalars can be logged. Reduce it first (e.g. .mean()).", nameof(value));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Batch size of logged value '{name}' must be at least 1.");
        var entry = Get(name, options, metric: null);
        // A few native calls per value into the entry's own float64 buffers (a dispose scope and new tensors per call
        // cost more than this arithmetic); no_grad, as the value may be a loss that requires grad.
        using var noGrad = no_grad();
        using var zeroDim = value.dim() == 0 ? null : value.reshape();
        var scratch = entry.Scratch ??= empty([], ScalarType.Float64, value.device).DetachFromDisposeScope();
        scratch.copy_(zeroDim ?? value);
        if (options.OnStep)
        {
            (entry.Step ??= empty([], ScalarType.Float64, value.device).DetachFromDisposeScope()).copy_(scratch);
            HasStepValues = true;
        }
        if (!options.OnEpoch) return;
        epochValues = null;
        entry.Count += batchSize;
        if (options.Reduce == Reduction.Mean) scratch.mul_(Weight(batchSize));
        if (entry.Epoch is null) (entry.Epoch, entry.EpochOnValueDevice) = (scratch.clone().DetachFromDisposeScope(), true);
        else
        {
            if (!entry.EpochOnValueDevice) MoveRestoredSum(entry, scratch.device);
            if (options.Reduce is Reduction.Mean or Reduction.Sum) entry.Epoch.add_(scratch);
            else
            {
                using var extreme = options.Reduce == Reduction.Max ? maximum(entry.Epoch, scratch) : minimum(entry.Epoch, scratch);
                entry.Epoch.copy_(extreme);
            }
        }
    }

    // The batch size as a float64 scalar, kept while it stays the same (a new scalar per call costs a native allocation).
    Scalar Weight(int batchSize)
    {
        if (weight is null || weightOf != batchSize)
        {
            weight?.Dispose();
            (weight, weightOf) = (((double)batchSize).ToScalar(), batchSize);
        }
        return weight;
    }

    // A sum restored from a checkpoint lives on the CPU until the first value from the training device arrives.
    static void MoveRestoredSum(Entry entry, Device device)
    {
        var sum = entry.Epoch!;
        if (sum.device_type != device.type || sum.device_index != device.index)
        {
            entry.Epoch = sum.to(device).DetachFromDisposeScope();
            sum.Dispose();
        }
        entry.EpochOnValueDevice = true;
    }

    /// <summary>
    /// Logs <paramref name="metric"/>, updated by the caller: computed (synced over ranks when
    /// <see cref="LogOptions.SyncDist"/>) at epoch end and reset with the epoch, as Lightning's <c>self.log(name, metric)</c>;
    /// with <see cref="LogOptions.OnStep"/>, also the batch value of its last <see cref="Metric.Forward"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Another metric was logged under the name, or a per-step batch value is not a scalar.</exception>
    public void Add(string name, Metric metric, LogOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(options);
        var entry = Get(name, options, metric);
        if (!ReferenceEquals(entry.Metric, metric))
            throw new ArgumentException($"'{name}' was already logged this epoch for another metric object; log each metric under its own name.", nameof(metric));
        epochValues = null;
        // Per step: the batch value of the metric's last Forward (result.py _ResultMetric.update: value._forward_cache);
        // nothing when it was only updated.
        if (!options.OnStep || metric.ForwardCache is not { } batch) return;
        if (batch.numel() != 1)
            throw new ArgumentException($"Metric '{name}' has a batch value of shape [{string.Join(", ", batch.shape)}]; only scalars can be logged per step.", nameof(metric));
        using var noGrad = no_grad();
        using var zeroDim = batch.reshape();
        (entry.Step ??= empty([], ScalarType.Float64, batch.device).DetachFromDisposeScope()).copy_(zeroDim);
        HasStepValues = true;
    }

    Entry Get(string name, LogOptions options, Metric? metric)
    {
        options.Validate(name);
        if (entries.TryGetValue(name, out var entry))
        {
            // Where a value is shown may differ between calls (the progress bar once asked for, it stays); how it is reduced may not.
            if (!SameReduction(entry.Options, options) || (entry.Metric is null) != (metric is null))
                throw new ArgumentException($"'{name}' was logged twice this epoch with different options ({Describe(entry)} and {Describe(options, metric)}); "
                    + "log one name with the same options everywhere (e.g. train_acc and val_acc for training and validation).", nameof(options));
            if (options.ProgressBar && !entry.Options.ProgressBar) entry.Options = entry.Options with { ProgressBar = true };
            return entry;
        }
        return entries[name] = new Entry(options, metric);
    }

    // Every option but ProgressBar and Logger, compared without the allocation of a `with` copy.
    static bool SameReduction(LogOptions a, LogOptions b) =>
        ReferenceEquals(a, b) || (a.OnStep == b.OnStep && a.OnEpoch == b.OnEpoch && a.Reduce == b.Reduce && a.SyncDist == b.SyncDist);

    static string Describe(Entry entry) => Describe(entry.Options, entry.Metric);

    static string Describe(LogOptions o, Metric? metric) =>
        $"{(metric is null ? "tensor" : "metric")}, OnStep {o.OnStep}, OnEpoch {o.OnEpoch}, Reduce {o.Reduce}, SyncDist {o.SyncDist}, ProgressBar {o.ProgressBar}, Logger {o.Logger}";

    /// <summary>The epoch value of every per-epoch name (one host sync); names also logged per step get <c>NAME_epoch</c> too.</summary>
    public IReadOnlyDictionary<string, double> Compute() => ComputeEpoch(null).Callback;

    /// <summary>
    /// As <see cref="Compute()"/>, the values logged with <see cref="LogOptions.SyncDist"/> reduced over all ranks of
    /// <paramref name="group"/> (collective: every rank calls it, having logged the same synced names in the same
    /// order); a mean is the mean over every rank's samples, as one process that saw them all would compute it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks logged different synced names.</exception>
    public IReadOnlyDictionary<string, double> Compute(IProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return ComputeEpoch(group).Callback;
    }

    /// <summary>
    /// The epoch values in Lightning's three views (computed once until something new is logged);
    /// <paramref name="group"/> (or null) reduces the synced ones over ranks.
    /// </summary>
    public LoggedValues ComputeEpoch(IProcessGroup? group)
    {
        if (epochValues is not null) return epochValues;
        var epoch = entries.Where(e => e.Value.Options.OnEpoch && (e.Value.Epoch is not null || e.Value.Metric is { UpdateCount: > 0 })).ToList();
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        using (var scope = NewDisposeScope())
        {
            var synced = group is { WorldSize: > 1 } ? Reduce(group, epoch.Where(e => e.Value.Options.SyncDist && e.Value.Metric is null).ToList()) : [];
            var local = epoch.Where(e => e.Value.Metric is null && !synced.ContainsKey(e.Key)).ToList();
            if (local.Count > 0)
            {
                var read = stack(local.Select(e => e.Value.Epoch!.cpu()).ToArray()).data<double>().ToArray();
                for (int i = 0; i < local.Count; i++) synced[local[i].Key] = Finish(local[i].Value, read[i], local[i].Value.Count);
            }
            foreach (var (name, entry) in epoch)
            {
                if (entry.Metric is not { } metric) continue;
                if (entry.Options.SyncDist && group is { WorldSize: > 1 }) metric.Sync(group);
                synced[name] = metric.Compute();
            }
            foreach (var (name, _) in epoch) values[name] = synced[name];
        }
        return epochValues = Views(epoch.Select(e => (e.Key, e.Value.Options, values[e.Key])), step: false);
    }

    /// <summary>The latest per-step values in Lightning's three views (one host sync); names also logged per epoch get <c>NAME_step</c> too.</summary>
    public LoggedValues ComputeStep() => ComputeStep(static _ => true);

    /// <summary>As <see cref="ComputeStep()"/>, for the names <paramref name="include"/> accepts only (e.g. those an evaluation run logged).</summary>
    public LoggedValues ComputeStep(Func<string, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        var step = entries.Where(e => e.Value.Step is not null && include(e.Key)).ToList();
        if (step.Count == 0) return LoggedValues.Empty;
        using var scope = NewDisposeScope();
        var read = stack(step.Select(e => e.Value.Step!.cpu()).ToArray()).data<double>().ToArray();
        return Views(step.Select((e, i) => (e.Key, e.Value.Options, read[i])), step: true);
    }

    // result.py metrics(): loggers get the suffixed name of a value logged both ways, callbacks both names.
    static LoggedValues Views(IEnumerable<(string Name, LogOptions Options, double Value)> values, bool step)
    {
        var (callback, logged, progressBar) = (new Dictionary<string, double>(StringComparer.Ordinal), new Dictionary<string, double>(StringComparer.Ordinal), new Dictionary<string, double>(StringComparer.Ordinal));
        foreach (var (name, options, value) in values)
        {
            string forked = options.Forked ? name + (step ? "_step" : "_epoch") : name;
            callback[name] = value;
            callback[forked] = value;
            if (options.Logger) logged[forked] = value;
            if (options.ProgressBar) progressBar[forked] = value;
        }
        return new LoggedValues(callback, logged, progressBar);
    }

    static double Finish(Entry entry, double reduced, long count) => entry.Options.Reduce == Reduction.Mean ? reduced / count : reduced;

    Dictionary<string, double> Reduce(IProcessGroup group, List<KeyValuePair<string, Entry>> synced)
    {
        var names = synced.Select(e => e.Key).ToList();
        using (var signature = tensor(new[] { names.Count, NameHash(names) }))
        {
            var all = group.AllGather(signature).data<long>().ToArray();
            for (int r = 0; r < group.WorldSize; r++)
                if (all[2 * r] != names.Count || all[2 * r + 1] != NameHash(names))
                    throw new InvalidOperationException(
                        $"Rank {group.Rank} logged {names.Count} synced metric names ({string.Join(", ", names)}) but rank {r} logged {all[2 * r]} or different ones; "
                        + "every rank must log the same names in the same order (log unconditionally, not only on some ranks).");
        }
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var reduce in Enum.GetValues<Reduction>())
        {
            var part = synced.Where(e => e.Value.Options.Reduce == reduce).ToList();
            if (part.Count == 0) continue;
            // A mean all-reduces its sums and counts; the others their values with their own operation.
            var packed = cat(part.Select(e => reduce == Reduction.Mean ? stack([e.Value.Epoch!.cpu(), tensor((double)e.Value.Count)]) : e.Value.Epoch!.cpu().reshape(1)).ToArray());
            group.AllReduce(packed, reduce switch { Reduction.Max => ReduceOp.Max, Reduction.Min => ReduceOp.Min, _ => ReduceOp.Sum });
            var read = packed.data<double>().ToArray();
            for (int i = 0; i < part.Count; i++)
                result[part[i].Key] = reduce == Reduction.Mean ? read[2 * i] / read[2 * i + 1] : read[i];
        }
        return result;
    }

    // FNV-1a over the ordered names: the same on every rank (string.GetHashCode is randomised per process).
    static long NameHash(IEnumerable<string> names)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in string.Join('\n', names)) hash = (hash ^ c) * 1099511628211UL;
        return (long)(hash >> 1);
    }

    /// <summary>Forgets the values of <paramref name="names"/> (e.g. those a previous validation run of the epoch logged), resetting logged metrics among them.</summary>
    public void Forget(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            if (!entries.Remove(name, out var entry)) continue;
            entry.FreeTensors();
            entry.Metric?.Reset();
            epochValues = null;
        }
    }

    /// <summary>Forgets every value and resets the logged metrics (call at epoch start).</summary>
    public void Reset()
    {
        foreach (var entry in entries.Values)
        {
            entry.FreeTensors();
            entry.Metric?.Reset();
        }
        entries.Clear();
        (epochValues, HasStepValues) = (null, false);
    }

    /// <summary>
    /// The running epoch values of logged tensors, so that an epoch resumed mid-way reports the same (<c>sums.{name}</c>,
    /// <c>counts.{name}</c> and the options); logged metrics save their own state.
    /// </summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (name, entry) in entries)
        {
            if (entry.Epoch is not { } sum) continue;
            state.Tensors[$"sums.{name}"] = sum;
            state.Values[$"counts.{name}"] = entry.Count;
            state.Values[$"progress_bar.{name}"] = entry.Options.ProgressBar;
            state.Values[$"options.{name}"] = $"{entry.Options.OnStep},{entry.Options.Reduce},{entry.Options.SyncDist},{entry.Options.Logger}";
        }
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        foreach (var entry in entries.Values) entry.FreeTensors();
        foreach (var name in entries.Where(e => e.Value.Metric is null).Select(e => e.Key).ToList()) entries.Remove(name);
        (epochValues, HasStepValues) = (null, false);
        foreach (var (key, sum) in state.Tensors)
        {
            if (!key.StartsWith("sums.", StringComparison.Ordinal) || sum.numel() != 1)
                throw new InvalidDataException($"Logged-metric state entry '{key}' is not a scalar running sum 'sums.NAME'.");
            string name = key["sums.".Length..];
            var options = EpochMean with { ProgressBar = state.Value<bool>($"progress_bar.{name}") };
            // Files from before the options were saved hold synced epoch means.
            if (state.Values.ContainsKey($"options.{name}") && state.Value<string>($"options.{name}")?.Split(',') is [var onStep, var reduce, var sync, var logger])
                options = options with { OnStep = bool.Parse(onStep), Reduce = Enum.Parse<Reduction>(reduce), SyncDist = bool.Parse(sync), Logger = bool.Parse(logger) };
            entries[name] = new Entry(options, metric: null)
            {
                Epoch = sum.to(ScalarType.Float64, copy: true).reshape().DetachFromDisposeScope(),
                Count = state.Value<long>($"counts.{name}"),
            };
        }
    }

    /// <summary>Frees the values; logged metrics belong to the module and are left as they are.</summary>
    public void Dispose()
    {
        foreach (var entry in entries.Values) entry.FreeTensors();
        entries.Clear();
        weight?.Dispose();
        weight = null;
    }
}
