namespace Unified.Tuning.Samplers;

/// <summary>Independent uniform sampling (Optuna's <c>RandomSampler</c>): log-uniform on log ranges, uniform over grid points and choices.</summary>
public sealed class RandomSampler : ISampler
{
    readonly Random rng;
    readonly Lock gate = new();

    /// <summary>Creates the sampler; the same <paramref name="seed"/> gives the same values in the same order.</summary>
    public RandomSampler(int? seed = null) => rng = seed is int s ? new Random(s) : new Random();

    /// <inheritdoc />
    public double SampleIndependent(Study study, FrozenTrial trial, string name, ParameterDistribution distribution)
    {
        lock (gate) return Sample(rng, distribution);
    }

    internal static double Sample(Random rng, ParameterDistribution distribution)
    {
        if (distribution is CategoricalDistribution c) return rng.Next(c.Choices.Count);
        var (low, high) = SearchSpace.Bounds(distribution);
        return SearchSpace.Untransform(distribution, low + rng.NextDouble() * (high - low));
    }
}
