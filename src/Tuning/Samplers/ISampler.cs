namespace Unified.Tuning.Samplers;

/// <summary>Chooses parameter values from the trials so far (Optuna's <c>BaseSampler</c>, independent sampling).</summary>
public interface ISampler
{
    /// <summary>Called when a trial starts, before its first suggestion.</summary>
    void BeforeTrial(Study study, FrozenTrial trial) { }

    /// <summary>The internal representation of the value for <paramref name="name"/> in <paramref name="trial"/>.</summary>
    double SampleIndependent(Study study, FrozenTrial trial, string name, ParameterDistribution distribution);

    /// <summary>Called when a trial has finished, with its final state.</summary>
    void AfterTrial(Study study, FrozenTrial trial) { }
}
