using System.Text.RegularExpressions;
using Unified.Core.Checkpointing;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Ignite.Distributed;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// Idist helpers as Ignite's <c>idist</c> (ignite/distributed/auto.py auto_model/auto_optim/auto_dataloader,
/// utils.py one_rank_only, launcher.py Parallel; tests/ignite/distributed/test_auto.py): alone in this process, and
/// on 2 ranks under mpirun.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class IdistTests
{
    [Fact]
    public void Alone_TheGroupIsThisProcess()
    {
        Assert.Equal(0, Idist.GetRank());
        Assert.Equal(1, Idist.GetWorldSize());
        Assert.Equal(0, Idist.GetLocalRank());
        Assert.Equal(TorchSharp.DeviceType.CPU, Idist.Device().type);
        using var parallel = new Idist.Parallel();
        int? seen = null;
        parallel.Run((localRank, config) => seen = localRank + config, 10);
        Assert.Equal(10, seen);
        Assert.Same(SingleProcessGroup.Instance, parallel.Group);
    }

    [Fact]
    public void AutoHelpers_Alone_TrainExactlyAsWithoutThem()
    {
        static string Train(bool auto)
        {
            manual_seed(3);
            var model = new DigitsMlp();
            var optimizer = optim.SGD(model.parameters(), 0.05);
            if (auto) (model, optimizer) = (Idist.AutoModel(model), Idist.AutoOptim(optimizer));
            manual_seed(4);
            using var inputs = randn(96, 784);
            using var targets = randint(0, 10, [96]);
            using var plain = new Core.Data.TensorDataLoader(inputs, targets, 32, shuffle: true, seed: 5);
            var loader = auto ? Idist.AutoDataloader(inputs, targets, 32, shuffle: true, seed: 5) : plain;
            Assert.Equal(3, loader.Count);
            Supervised.CreateSupervisedTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), device: "cpu").Run(loader, maxEpochs: 2);
            return WeightsHash.Sha256(model);
        }

        Assert.Equal(Train(auto: false), Train(auto: true));
    }

    [Fact]
    public void OneRankOnly_RunsOnThatRank_AndRefusesARankOutsideTheGroup()
    {
        int calls = 0;
        var handler = Idist.OneRankOnly(_ => calls++, withBarrier: true);
        handler(new Engine((_, _) => null));
        Assert.Equal(1, calls);
        Assert.Equal("rank", Assert.Throws<ArgumentOutOfRangeException>(() => Idist.OneRankOnly(_ => { }, rank: 1)).ParamName);
    }

    [Fact]
    public void TwoRanks_TrainDataParallel_WithHalfBatches_AndEndWithTheSameWeights()
    {
        var run = MpiRun.Start(2, typeof(IdistWorker).Assembly.Location, ["idist"], TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { [ProcessGroupOptions.TimeoutVariable] = "30" });

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = Regex.Matches(run.Output, @"PASS idist rank (\d) local (\d) of 2 iterations (\d+) batch (\d+) printed (\d) weights (\w+)").ToList();
        Assert.Equal(2, lines.Count);
        var byRank = lines.OrderBy(m => m.Groups[1].Value).ToList();
        // 256 samples, batch 64 split over 2 ranks: 32 per rank, 4 iterations per epoch, 2 epochs.
        Assert.All(byRank, m => Assert.Equal(("8", "32"), (m.Groups[3].Value, m.Groups[4].Value)));
        Assert.Equal(["0", "1"], byRank.Select(m => m.Groups[5].Value)); // OneRankOnly(rank: 1)
        Assert.Equal(byRank[0].Groups[6].Value, byRank[1].Groups[6].Value); // rank 0's weights broadcast, gradients averaged
    }
}
