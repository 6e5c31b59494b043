using Unified.Core.Data;

namespace Unified.Ignite;

/// <summary>The engine's state, as Ignite's <c>engine.state</c>: 1-based counters, the current batch and output, metrics.</summary>
public sealed class State
{
    /// <summary>Iterations run in total, 1-based while running.</summary>
    public long Iteration { get; internal set; }

    /// <summary>Current epoch, 1-based while running.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Epochs this run goes to.</summary>
    public int MaxEpochs { get; internal set; }

    /// <summary>Iterations per epoch.</summary>
    public int EpochLength { get; internal set; }

    /// <summary>Iteration within the current epoch, 1-based.</summary>
    public int EpochIteration => EpochLength == 0 ? 0 : (int)((Iteration - 1) % EpochLength) + 1;

    /// <summary>The current batch; valid until the next iteration starts or the run ends.</summary>
    public Batch? Batch { get; internal set; }

    /// <summary>What the process function returned for the current batch; valid until the next iteration starts or the run ends.</summary>
    public object? Output { get; internal set; }

    /// <summary>Computed metrics by name (attached metrics write here at epoch end).</summary>
    public Dictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>Seconds the last epoch took and the whole run took.</summary>
    public double EpochSeconds { get; internal set; }

    /// <summary>Seconds since the run started.</summary>
    public double RunSeconds { get; internal set; }
}
