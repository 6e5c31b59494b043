namespace Unified.Cli.Bench;

/// <summary>How much <c>unified bench</c> measures: rounds per comparison and batches per timed epoch.</summary>
/// <param name="Rounds">Interleaved timed rounds per comparison (after one untimed warm-up round).</param>
/// <param name="Batches">Batches per timed epoch; null for whole epochs.</param>
/// <param name="ChildRuns">Child processes per start-up and PyTorch measurement.</param>
public sealed record SuiteOptions(int Rounds, int? Batches, int ChildRuns)
{
    /// <summary>The full suite (about a minute and a half on a 2-core machine).</summary>
    public static SuiteOptions Full { get; } = new(5, null, 3);

    /// <summary>A smoke run that checks that every part works: a few steps, one round, one child run each.</summary>
    public static SuiteOptions Quick { get; } = new(1, 3, 1);

    /// <summary>Optimiser steps of a <c>unified fit</c> child in the PyTorch comparison; null for its 3 whole epochs.</summary>
    public long? MaxSteps => Batches;
}
