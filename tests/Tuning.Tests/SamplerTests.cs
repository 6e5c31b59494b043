using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Xunit;
using Xunit.Abstractions;

namespace Unified.Tuning.Tests;

public sealed class SamplerTests(ITestOutputHelper output)
{
    static double Shifted(Trial trial)
    {
        double x = trial.SuggestFloat("x", -5, 5), y = trial.SuggestFloat("y", -5, 5), z = trial.SuggestFloat("z", -5, 5);
        return (x - 1.5) * (x - 1.5) + (y + 2) * (y + 2) + (z - 0.5) * (z - 0.5);
    }

    static double[] Values(ISampler sampler, int trials)
    {
        var study = Study.Create(sampler: sampler, pruner: new NopPruner());
        study.Optimize(Shifted, nTrials: trials);
        return study.Trials.Select(t => t.Value!.Value).ToArray();
    }

    [Fact]
    public void SeededSamplers_AreReproducible()
    {
        Assert.Equal(Values(new RandomSampler(7), 15), Values(new RandomSampler(7), 15));
        Assert.Equal(Values(new TpeSampler(7), 25), Values(new TpeSampler(7), 25));
        Assert.NotEqual(Values(new TpeSampler(7), 25), Values(new TpeSampler(8), 25));
    }

    [Fact]
    public void Tpe_StartsWithTenRandomTrials_AsOptunasDefault()
    {
        // The same seed drives TPE's start-up random sampler: its first 10 trials are the random sampler's.
        Assert.Equal(Values(new RandomSampler(9), 10), Values(new TpeSampler(9), 12).Take(10));
        Assert.NotEqual(Values(new RandomSampler(9), 12)[10..], Values(new TpeSampler(9), 12)[10..]);
    }

    [Fact]
    public void Tpe_Defaults_AreOptunas()
    {
        // optuna/samplers/_tpe/sampler.py: default_gamma(x) = min(ceil(0.1 x), 25); default_weights ramps from 1/n beyond 25.
        Assert.Equal([0, 1, 1, 2, 10, 25, 25], new[] { 0, 1, 10, 11, 100, 250, 1000 }.Select(TpeSampler.Gamma));
        var tpe = new TpeSampler();
        Assert.Equal((10, 24, 1.0, true), (tpe.StartupTrials, tpe.EiCandidates, tpe.PriorWeight, tpe.ConstantLiar));
        Assert.Equal(Enumerable.Repeat(1.0, 24), TpeSampler.DefaultWeights(24));
        var w = TpeSampler.DefaultWeights(30); // numpy: linspace(1/30, 1, 5) then 25 ones
        double[] numpy = [1.0 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0];
        for (int i = 0; i < 5; i++) Assert.Equal(numpy[i], w[i], 1e-12);
        Assert.All(w[5..], v => Assert.Equal(1.0, v));
    }

    // The benchmark functions: a quadratic in 3 dimensions with its minimum (0) off-centre, and Branin on its
    // usual box (minimum 0.397887 at three points), as in Optuna's own sampler benchmarks.
    static double Branin(Trial trial)
    {
        double x1 = trial.SuggestFloat("x1", -5, 10), x2 = trial.SuggestFloat("x2", 0, 15);
        double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        return Math.Pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * Math.Cos(x1) + 10;
    }

    /// <summary>The mean over seeds 0..9 of the best value after 50 trials; what the README reports.</summary>
    internal static (double Tpe, double Random) AverageBest(Func<Trial, double> objective)
    {
        double Best(ISampler sampler)
        {
            var study = Study.Create(sampler: sampler, pruner: new NopPruner());
            study.Optimize(objective, nTrials: 50);
            return study.BestValue;
        }
        var seeds = Enumerable.Range(0, 10).ToArray();
        return (seeds.Average(s => Best(new TpeSampler(s))), seeds.Average(s => Best(new RandomSampler(s))));
    }

    [Theory]
    [InlineData("shifted quadratic (3-d)")]
    [InlineData("Branin (2-d)")]
    public void Tpe_ReachesABetterBestThanRandom_After50Trials_AveragedOverTenSeeds(string function)
    {
        // Deterministic: both samplers are seeded (0..9), so the averages are the same on every run.
        var (tpe, random) = AverageBest(function.StartsWith("Branin", StringComparison.Ordinal) ? Branin : Shifted);
        output.WriteLine($"{function}: mean best of 50 trials over 10 seeds: TPE {tpe:G6}, random {random:G6}");
        Assert.True(tpe < random, $"{function}: TPE {tpe} vs random {random}");
    }

    [Fact]
    public void Tpe_HandlesIntegersLogsAndChoices()
    {
        var study = Study.Create(sampler: new TpeSampler(11, startupTrials: 5));
        study.Optimize(trial =>
        {
            int n = trial.SuggestInt("n", 1, 1000, log: true);
            string c = trial.SuggestCategorical("c", ["bad", "good", "worse"]);
            double s = trial.SuggestFloat("s", 0, 1, step: 0.1);
            return Math.Abs(Math.Log(n) - Math.Log(30)) + (c == "good" ? 0 : 2) + Math.Abs(s - 0.3);
        }, nTrials: 40);
        var last = study.Trials.Skip(25).ToArray();
        Assert.True(last.Count(t => (string)t.Params["c"]! == "good") > last.Length / 2, "TPE should favour the good choice");
        Assert.All(study.Trials, t => Assert.InRange((int)t.Params["n"]!, 1, 1000));
        Assert.True(study.BestValue < 1.5, $"best {study.BestValue}");
    }

    [Fact]
    public void Grid_VisitsEveryPointOnce_ThenStopsTheStudy()
    {
        var grid = new GridSampler(new Dictionary<string, IReadOnlyList<object?>> { ["a"] = [1, 2, 3], ["b"] = ["x", "y"] }, seed: 1);
        var study = Study.Create(sampler: grid);
        study.Optimize(trial => trial.SuggestInt("a", 1, 3) + (trial.SuggestCategorical("b", ["x", "y"]) == "y" ? 10 : 0), nTrials: 100);
        Assert.Equal(6, study.Trials.Count);
        Assert.Equal(6, study.Trials.Select(t => (t.Params["a"], t.Params["b"])).Distinct().Count());
        Assert.Equal(1.0, study.BestValue);
        var outside = Study.Create(sampler: grid);
        outside.Optimize(trial => trial.SuggestFloat("zzz", 0, 1), nTrials: 1);
        Assert.Contains("Parameter 'zzz' is not in the grid", outside.Trials[0].SystemAttrs["fail_reason"].GetString());
    }

    [Fact]
    public void Gaussian_MatchesPythonsMath()
    {
        // Values from Python's math.erfc and statistics.NormalDist (independent implementations).
        Assert.Equal(0.8413447460685429, Gaussian.Cdf(1.0), 1e-7);
        Assert.Equal(-53.23128515051246, Gaussian.LogMass(10, double.PositiveInfinity), 1e-5);
        Assert.Equal(-0.20016629432446262, Gaussian.LogMass(-1, 2), 1e-7);
        Assert.Equal(-3.090232306167813, Gaussian.Quantile(0.001), 1e-8);
        Assert.Equal(0.5244005127080407, Gaussian.Quantile(0.7), 1e-8);
        var rng = new Random(1);
        var draws = Enumerable.Range(0, 2000).Select(_ => Gaussian.SampleTruncated(rng, -0.5, 3)).ToArray();
        Assert.All(draws, d => Assert.InRange(d, -0.5, 3));
    }
}
