namespace Unified.Samples;

/// <summary>What every scenario is given: smoke mode (tiny limits, for CI) and a fresh folder for its files.</summary>
public sealed record SampleOptions(bool Smoke, string WorkDir, IReadOnlyList<string> Extra)
{
    /// <summary>Optimiser steps a scenario's fit takes: a handful in smoke mode, one epoch's worth otherwise.</summary>
    public long? MaxSteps => Smoke ? 8 : null;

    /// <summary>Epochs to train outside smoke mode.</summary>
    public int Epochs => Smoke ? 1 : 2;

    /// <summary>Validation batches (a few in smoke mode).</summary>
    public int? ValBatches => Smoke ? 4 : null;

    /// <summary>The value after <paramref name="flag"/> among the extra arguments, or null.</summary>
    public string? Value(string flag) => Extra.SkipWhile(a => a != flag).Skip(1).FirstOrDefault();

    /// <summary>Whether <paramref name="flag"/> is among the extra arguments.</summary>
    public bool Has(string flag) => Extra.Contains(flag);
}
