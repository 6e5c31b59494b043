namespace Unified.Core.Training;

/// <summary>What one epoch ended with: its 0-based index, optimiser steps so far, and the logged means.</summary>
public sealed record EpochResult(int Epoch, long GlobalStep, IReadOnlyDictionary<string, double> Metrics);
