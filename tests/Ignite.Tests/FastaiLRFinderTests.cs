using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>FastaiLRFinder as Ignite's (ignite/handlers/lr_finder.py; tests/ignite/handlers/test_lr_finder.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class FastaiLRFinderTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly SliceDataModule data = new(640, 0, 64);

    public void Dispose()
    {
        data.Dispose();
        temp.Dispose();
    }

    static (DigitsMlp Model, optim.Optimizer Optimizer, Engine Trainer) Trainer()
    {
        manual_seed(5);
        var model = new DigitsMlp();
        var optimizer = optim.SGD(model.parameters(), 0.01);
        return (model, optimizer, Supervised.CreateTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), new SupervisedTrainerOptions { Accelerator = "cpu" }));
    }

    [Fact]
    public void RangeTest_RaisesTheLr_RecordsTheLoss_AndRestoresModelOptimizerAndTrainer()
    {
        var (model, optimizer, trainer) = Trainer();
        string before = WeightsHash.Sha256(model);
        var finder = new FastaiLRFinder();

        int iterations;
        using (finder.Attach(trainer, Supervised.ToSave(trainer).Parts, optimizer, numIter: 50, startLr: 1e-4, endLr: 100))
        {
            trainer.Run(data.Train, maxEpochs: 1); // 10 iterations per epoch: extended to num_iter (test_num_iter_is_not_enough)
            iterations = (int)trainer.State.Iteration;
        }
        var (lrs, losses) = finder.GetResults();

        Assert.True(finder.Diverged, "an LR of 100 diverges SGD on the digits MLP");
        Assert.InRange(iterations, 4, 50);
        Assert.Equal(iterations, lrs.Count);
        Assert.Equal(lrs.Count, losses.Count);
        Assert.All(Enumerable.Range(1, lrs.Count - 1), i => Assert.True(lrs[i - 1] < lrs[i])); // test_lr_policy
        Assert.Equal(1e-4 * Math.Pow(1e6, 1.0 / 50), lrs[0], 1e-12);
        double suggested = finder.Suggestion();
        Assert.Contains(suggested, lrs);
        // test_model_optimizer_reset: everything as before the test.
        Assert.Equal(before, WeightsHash.Sha256(model));
        Assert.Equal(0.01, optimizer.ParamGroups.First().LearningRate, 12);
        Assert.Equal(0, trainer.State.Iteration);

        finder.ApplySuggestedLr(optimizer);
        Assert.Equal(suggested, optimizer.ParamGroups.First().LearningRate);
        var state = trainer.Run(data.Train, maxEpochs: 1); // the finder is detached: a plain epoch
        Assert.Equal(10, state.Iteration);
        Assert.Equal(iterations, finder.GetResults().Lr.Count);
    }

    [Fact]
    public void LinearMode_StartsAtStartLr()
    {
        // test_start_lr: linear starts at start_lr; exp's first LR is above it (0.01 < lr[0] < 0.16 for num_iter 5).
        var (_, optimizer, trainer) = Trainer();
        var finder = new FastaiLRFinder();
        using (finder.Attach(trainer, Supervised.ToSave(trainer).Parts, optimizer, numIter: 5, startLr: 0.01, endLr: 10, stepMode: "linear", divergeTh: 1e9))
            trainer.Run(data.Train);
        Assert.Equal(0.01, finder.GetResults().Lr[0], 12);
        Assert.Equal(0.01 + 9.99 / 5, finder.GetResults().Lr[1], 12);

        using (finder.Attach(trainer, Supervised.ToSave(trainer).Parts, optimizer, numIter: 5, startLr: 0.01, endLr: 10, stepMode: "exp", divergeTh: 1e9))
            trainer.Run(data.Train);
        Assert.InRange(finder.GetResults().Lr[0], 0.0100001, 0.16);
    }

    [Fact]
    public void Suggest_IsWhereTheLossFallsFastest()
    {
        // test_lr_suggestion_single_param_group: loss = linspace(-5, 5, 100)^2 + 0.05 over lr = linspace(0.01, 10, 100).
        var lrs = Enumerable.Range(0, 100).Select(i => 0.01 + (10 - 0.01) * i / 99).ToList();
        var losses = Enumerable.Range(0, 100).Select(i => Math.Pow(-5 + 10.0 * i / 99, 2) + 0.05).ToList();
        Assert.Equal(0.110909089, FastaiLRFinder.Suggest(lrs, losses), 8);
        // test_lr_suggestion_unexpected_curve: the minimum first.
        Assert.Contains("U-shaped", Assert.Throws<InvalidOperationException>(() => FastaiLRFinder.Suggest(lrs, [0.0, .. losses])).Message);
        Assert.Throws<InvalidOperationException>(() => new FastaiLRFinder().Suggestion());
    }

    [Fact]
    public void Plot_WritesAPng_AndDoesNotOverwriteAFile()
    {
        var (_, optimizer, trainer) = Trainer();
        var finder = new FastaiLRFinder();
        using (finder.Attach(trainer, Supervised.ToSave(trainer).Parts, optimizer, numIter: 40, startLr: 1e-4, endLr: 100))
            trainer.Run(data.Train, maxEpochs: 4);

        finder.Plot(temp.File("lr.png"), skipStart: 2, skipEnd: 1);

        var png = PngFile.Read(temp.File("lr.png")); // signature, IHDR and every chunk's CRC checked
        Assert.Equal((800, 500), (png.Width, png.Height));
        Assert.Throws<IOException>(() => finder.Plot(temp.File("lr.png")));
        Assert.Throws<InvalidOperationException>(() => new FastaiLRFinder().Plot(temp.File("none.png")));
    }

    [Fact]
    public void Attach_RefusesBadArguments()
    {
        // test_attach_incorrect_input_args
        var (_, optimizer, trainer) = Trainer();
        var parts = Supervised.ToSave(trainer).Parts;
        var finder = new FastaiLRFinder();
        Assert.Equal("smoothF", Assert.Throws<ArgumentOutOfRangeException>(() => finder.Attach(trainer, parts, optimizer, smoothF: 1)).ParamName);
        Assert.Equal("divergeTh", Assert.Throws<ArgumentOutOfRangeException>(() => finder.Attach(trainer, parts, optimizer, divergeTh: 0.5)).ParamName);
        Assert.Equal("stepMode", Assert.Throws<ArgumentException>(() => finder.Attach(trainer, parts, optimizer, stepMode: "cos")).ParamName);
        Assert.Equal("numIter", Assert.Throws<ArgumentOutOfRangeException>(() => finder.Attach(trainer, parts, optimizer, numIter: 0)).ParamName);
        Assert.Equal("startLr", Assert.Throws<ArgumentException>(() => finder.Attach(trainer, parts, optimizer, startLr: 20, endLr: 10)).ParamName);
        var noOptimizer = parts.Where(p => p.Key != "optimizer").ToDictionary();
        Assert.Contains("'optimizer'", Assert.Throws<ArgumentException>(() => finder.Attach(trainer, noOptimizer, optimizer)).Message);
    }
}
