using System.Globalization;
using System.Text.Json.Nodes;
using Unified.Core.Distributed;
using Unified.Core.State;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// A metric with tensor state, as torchmetrics' <c>Metric</c> and Ignite's <c>Metric</c>: <see cref="Update"/> per
/// batch (tensor ops only, no host sync), <see cref="Compute"/> or <see cref="ComputeTensor"/> at the end,
/// <see cref="Reset"/> between epochs, <see cref="Sync"/> to combine ranks before computing, and
/// <see cref="StateDict"/> / <see cref="LoadStateDict"/> for checkpoints.
/// </summary>
/// <remarks>
/// State is float64 on the device of the first batch after a reset (or the one given to <see cref="To"/>).
/// Bad values (labels out of range, probabilities outside [0, 1]) cannot be seen without reading the device, so they
/// are counted in the state and reported by the next compute; shape, dtype and device errors throw at once.
/// </remarks>
/// <example><code>
/// using var accuracy = new Accuracy();
/// foreach (var (x, y) in batches) accuracy.Update(model.call(x), y);
/// double value = accuracy.Compute();
/// </code></example>
public abstract partial class Metric : IStateful, IDisposable
{
    const string InvalidStateName = "invalid_inputs";
    readonly List<MetricState> states = [];
    readonly List<string> inputChecks = [];
    MetricState? invalid;
    Device device = CPU;
    bool placed, synced, disposed;

    /// <summary>The number of updates since the last reset (summed over ranks after <see cref="Sync"/>).</summary>
    public long UpdateCount { get; private set; }

    /// <summary>The device the state lives on.</summary>
    public Device Device => device;

    /// <summary>The state tensors, in registration order.</summary>
    public IReadOnlyList<MetricState> States => states;

    /// <summary>The name used in messages (the type name).</summary>
    protected virtual string Name => GetType().Name;

    /// <summary>
    /// Whether <see cref="Sync"/> leaves totals over all ranks that another update or sync would count twice; such a
    /// metric refuses both until <see cref="Reset"/>. A metric whose state is an average (a running average) returns false.
    /// </summary>
    protected virtual bool SyncIsFinal => true;

    /// <summary>Adds one batch of predictions and targets to the state (no host sync).</summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit the metric.</exception>
    /// <exception cref="InvalidOperationException">The state was synced and not reset since.</exception>
    public void Update(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (!SameDevice(predictions.device, targets.device))
            throw new ArgumentException($"{Name}: predictions are on {predictions.device} but targets on {targets.device}; move both to one device.", nameof(targets));
        RunUpdate(predictions.device, () => UpdateState(predictions, targets));
    }

    /// <summary>
    /// Adds one batch to the state. Runs inside a dispose scope and <c>no_grad</c>, so temporaries need no
    /// <c>using</c>; validate everything before changing any state, so that a rejected batch leaves no trace.
    /// </summary>
    protected abstract void UpdateState(Tensor predictions, Tensor targets);

    /// <summary>Runs an update on <paramref name="dataDevice"/> (for metrics whose update takes other arguments).</summary>
    protected void RunUpdate(Device dataDevice, Action update)
    {
        ArgumentNullException.ThrowIfNull(update);
        BeginUpdate(dataDevice);
        using (NewDisposeScope())
        using (no_grad())
            update();
        EndUpdate();
    }

    /// <summary>
    /// Runs an update that touches the state only through host numbers and in-place fills (no temporaries, no
    /// autograd), without the dispose scope and <c>no_grad</c> that tensor ops need: a per-iteration update of a scalar.
    /// </summary>
    protected void RunHostUpdate(Device dataDevice, Action update)
    {
        ArgumentNullException.ThrowIfNull(update);
        BeginUpdate(dataDevice);
        update();
        EndUpdate();
    }

    void BeginUpdate(Device dataDevice)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (synced && SyncIsFinal)
            throw new InvalidOperationException($"{Name} already holds the totals of all ranks since Sync(); call Reset() before the next Update(), and Sync() once, just before computing.");
        Place(dataDevice);
    }

    void EndUpdate()
    {
        UpdateCount++;
        StateVersion++;
    }

    /// <summary>Changes with every update, reset, load and sync: a metric that mirrors its state on the host knows the mirror is current while it is unchanged.</summary>
    protected long StateVersion { get; private set; }

    /// <summary>The scalar result without reading the device, when the metric holds it on the host (see <see cref="StateVersion"/>); false by default.</summary>
    protected virtual bool TryComputeOnHost(out double value)
    {
        value = 0;
        return false;
    }

    /// <summary>The metric as a new float64 tensor that the caller owns (any shape: a scalar, per class, a matrix).</summary>
    /// <exception cref="InvalidOperationException">No update since the last reset, or the updates held invalid values.</exception>
    public Tensor ComputeTensor()
    {
        ThrowIfNotComputable();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = ComputeState();
        if (states.Any(s => ReferenceEquals(s.Value, result))) result = result.clone();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The metric as a number (one host sync); a state the metric returns as it is is read in place, not copied.</summary>
    /// <exception cref="InvalidOperationException">
    /// No update since the last reset, the updates held invalid values, or the result is not a scalar (use
    /// <see cref="ComputeTensor"/> for per-class results and matrices).
    /// </exception>
    public double Compute()
    {
        ThrowIfNotComputable();
        if (TryComputeOnHost(out double host)) return host;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var value = ComputeState();
        if (value.numel() != 1)
            throw new InvalidOperationException($"{Name}'s result has shape [{string.Join(", ", value.shape)}], not a scalar; call ComputeTensor() for per-class results and matrices.");
        return value.dtype == ScalarType.Float64 ? value.item<double>() : value.to_type(ScalarType.Float64).item<double>();
    }

    void ThrowIfNotComputable()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (UpdateCount == 0)
            throw new InvalidOperationException($"{Name}.Compute() was called before any Update(); run at least one batch first (or after Reset()).");
        ThrowIfInvalidInputs();
    }

    /// <summary>
    /// The metric from the current state with tensor ops only (no host sync, no validation). Must return a new tensor
    /// or a state's <see cref="MetricState.Value"/> (which <see cref="ComputeTensor"/> copies and <see cref="Compute"/> reads in place).
    /// </summary>
    protected internal abstract Tensor ComputeState();

    /// <summary>Zeroes the state (the device stays until the next update picks one).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var state in states) state.Zero();
        UpdateCount = 0;
        StateVersion++;
        placed = synced = false;
        ForgetForward();
    }

    /// <summary>Moves the state to <paramref name="target"/>; later updates must come from that device.</summary>
    public Metric To(Device target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var state in states) state.MoveTo(target);
        device = target;
        placed = true;
        return this;
    }

    /// <summary>
    /// Replaces this rank's state with the combination over all ranks in <paramref name="group"/> (sums for counts):
    /// every rank must call it, in the same order for all metrics. Call it once, just before computing; afterwards the
    /// state holds totals, so the metric refuses further updates and syncs until <see cref="Reset"/>.
    /// </summary>
    /// <remarks>One all-reduce per reduce kind (the states are concatenated), plus one host read of the update count.</remarks>
    public void Sync(IProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (synced && SyncIsFinal)
            throw new InvalidOperationException($"{Name} was already synced; syncing again would count the other ranks twice. Call Reset() before the next epoch.");
        Allocate();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        AlignForSync(group);
        var count = tensor(new double[] { UpdateCount }, ScalarType.Float64, device);
        foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Mean, ReduceOp.Max, ReduceOp.Min })
        {
            var parts = states.Where(s => s.Reduce == op).ToList();
            if (op != ReduceOp.Sum && parts.Count == 0) continue;
            var pieces = parts.Select(s => s.Value.flatten()).ToList();
            if (op == ReduceOp.Sum) pieces.Add(count);
            var flat = cat(pieces, 0);
            group.AllReduce(flat, op);
            long offset = 0;
            foreach (var state in parts)
            {
                long n = state.Value.numel();
                state.Value.copy_(flat.narrow(0, offset, n).view(state.ShapeArray));
                offset += n;
            }
            if (op == ReduceOp.Sum) count = flat.narrow(0, offset, 1);
        }
        UpdateCount = (long)Math.Round(count.item<double>());
        StateVersion++;
        synced = true;
    }

    /// <summary>
    /// Called by <see cref="Sync"/> before the all-reduce, for states registered without a reduce kind (e.g. a shift
    /// that must be made equal on all ranks first). Uses the same collectives on every rank.
    /// </summary>
    protected virtual void AlignForSync(IProcessGroup group) { }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Allocate();
        var state = new StateDict();
        foreach (var s in states) state.Tensors.Add(s.Name, s.Value);
        state.Values["updates"] = UpdateCount;
        state.Values["synced"] = synced;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ObjectDisposedException.ThrowIf(disposed, this);
        Allocate();
        foreach (var s in states)
        {
            var saved = state.Tensor(s.Name);
            if (!saved.shape.SequenceEqual(s.ShapeArray))
                throw new InvalidDataException($"{Name} state '{s.Name}' has shape [{string.Join(", ", saved.shape)}] but this metric needs [{string.Join(", ", s.ShapeArray)}]; it was saved by a metric with another number of classes or outputs.");
        }
        long updates = state.Value<long>("updates");
        if (updates < 0) throw new InvalidDataException($"{Name} state 'updates' is {updates}; it must be at least 0.");
        bool wasSynced = state.Value<bool>("synced");
        using (no_grad())
            foreach (var s in states) s.Value.copy_(state.Tensor(s.Name));
        UpdateCount = updates;
        StateVersion++;
        synced = wasSynced;
        placed = false;
    }

    /// <summary>Registers a state tensor (call in the constructor); it is summed across ranks unless told otherwise.</summary>
    /// <param name="name">Its key in the state dict.</param>
    /// <param name="shape">Its fixed shape (empty for a scalar).</param>
    /// <param name="reduce">How <see cref="Sync"/> combines ranks; <c>null</c> to align it in <see cref="AlignForSync"/>.</param>
    protected MetricState AddState(string name, long[] shape, ReduceOp? reduce = ReduceOp.Sum)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == InvalidStateName || states.Any(s => s.Name == name))
            throw new ArgumentException($"{Name} already has a state named '{name}'.", nameof(name));
        if (states.Any(s => s.IsAllocated))
            throw new InvalidOperationException($"{Name}: states must be added in the constructor, before the first update.");
        if (shape.Any(d => d < 0)) throw new ArgumentException($"{Name} state '{name}' has a negative dimension.", nameof(shape));
        var state = new MetricState(name, (long[])shape.Clone(), reduce);
        states.Add(state);
        return state;
    }

    /// <summary>
    /// Registers a kind of invalid input that updates count on the device and the next compute reports, e.g.
    /// <c>"target labels outside [0, 10)"</c>. Returns the index to pass to <see cref="CountInvalid"/>.
    /// </summary>
    protected int AddInputCheck(string problem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(problem);
        if (states.Any(s => s.IsAllocated))
            throw new InvalidOperationException($"{Name}: input checks must be added in the constructor, before the first update.");
        inputChecks.Add(problem);
        if (invalid is not null) states.Remove(invalid);
        invalid = new MetricState(InvalidStateName, [inputChecks.Count], ReduceOp.Sum);
        states.Add(invalid);
        return inputChecks.Count - 1;
    }

    /// <summary>Counts the true elements of <paramref name="invalidMask"/> against check <paramref name="check"/> (no host sync).</summary>
    protected void CountInvalid(int check, Tensor invalidMask)
    {
        if (invalid is null || check < 0 || check >= inputChecks.Count)
            throw new ArgumentOutOfRangeException(nameof(check), check, $"{Name} has {inputChecks.Count} input checks.");
        invalid.Value.select(0, check).add_(invalidMask.sum());
    }

    /// <summary>The problems registered by <see cref="AddInputCheck"/>, in order.</summary>
    internal IReadOnlyList<string> InputChecks => inputChecks;

    /// <summary>Adds another metric's invalid-input counts (same checks, same order) to this one's.</summary>
    internal void AddInvalidCounts(Metric other)
    {
        if (other.invalid is null) return;
        invalid!.Value.add_(other.invalid.Value);
    }

    void ThrowIfInvalidInputs()
    {
        if (invalid is null) return;
        using var counts = invalid.Value.cpu();
        var values = counts.data<double>().ToArray();
        var problems = values.Select((n, i) => (n, i)).Where(p => p.n > 0)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.n:0} {inputChecks[p.i]}")).ToList();
        if (problems.Count > 0)
            throw new InvalidOperationException($"{Name} received invalid inputs since the last Reset(): {string.Join("; ", problems)}. Fix the data or the metric's settings (number of classes, threshold), then Reset().");
    }

    void Place(Device dataDevice)
    {
        if (!placed)
        {
            if (!SameDevice(device, dataDevice)) foreach (var state in states) state.MoveTo(dataDevice);
            device = dataDevice;
            placed = true;
        }
        else if (!SameDevice(device, dataDevice))
        {
            throw new ArgumentException($"{Name} accumulates on {device} but this batch is on {dataDevice}; move the batch there, or call Reset() (or To({dataDevice})) first.");
        }
        Allocate();
    }

    void Allocate()
    {
        foreach (var state in states) state.Allocate(device);
    }

    static bool SameDevice(Device a, Device b) => a.type == b.type && (a.type == DeviceType.CPU || a.index == b.index);

    /// <summary>Frees the state tensors (and anything else the metric owns).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposed) return;
        disposed = true;
        if (!disposing) return;
        foreach (var state in states) state.Free();
        ForgetForward();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
