using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// The program every rank of the multi-rank tests runs (<c>mpirun -np 2 dotnet Unified.Core.Tests.dll SCENARIO</c>):
/// each scenario checks its results itself, prints <c>PASS scenario rank R</c> and exits 0, or throws.
/// </summary>
public static class DistributedWorker
{
    /// <summary>The test assembly's entry point (xunit does not use it).</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: dotnet Unified.Core.Tests.dll collectives|timeout|ddp MODEL [overlap] [accumulate N]|syncbn|uneven|fail");
            return 2;
        }
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var group = ProcessGroups.FromEnvironment();
        switch (args[0])
        {
            case "collectives": Collectives(group); break;
            case "timeout": TimeoutScenario(group); break;
            case "ddp": Ddp(group, args[1], args.Contains("overlap"), args.Contains("accumulate") ? 2 : 1); break;
            case "syncbn": SyncBn(group); break;
            case "uneven": Uneven(group); break;
            case "fail": Fail(group); break;
            case "stop": Stop(group); break;
            case "skip": SkipNonFinite(group); break;
            case "logsync": LogSync(group); break;
            default: throw new ArgumentException($"Unknown scenario '{args[0]}'.");
        }
        Console.WriteLine($"PASS {string.Join(' ', args)} rank {group.Rank}");
        return 0;
    }

    static void Collectives(IProcessGroup group)
    {
        int rank = group.Rank, size = group.WorldSize;
        Require(size == 2 && group is MpiProcessGroup, $"expected 2 MPI ranks, got {size} ({group.GetType().Name})");
        Require(group.LocalRank == rank, $"local rank {group.LocalRank} on one machine should equal rank {rank}");
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Int64, ScalarType.Int32 })
        {
            using var values = (arange(6, dtype: ScalarType.Float64) * (rank + 1)).to_type(dtype);
            using var sum = values.clone();
            group.AllReduce(sum, ReduceOp.Sum);
            Require(Same(sum.to_type(ScalarType.Float64), arange(6, dtype: ScalarType.Float64) * 3), $"sum of {dtype}: {sum.str()}");
            using var max = values.clone();
            group.AllReduce(max, ReduceOp.Max);
            Require(Same(max.to_type(ScalarType.Float64), arange(6, dtype: ScalarType.Float64) * 2), $"max of {dtype}");
            using var min = values.clone();
            group.AllReduce(min, ReduceOp.Min);
            Require(Same(min.to_type(ScalarType.Float64), arange(6, dtype: ScalarType.Float64)), $"min of {dtype}");
        }
        using (var mean = full(3, rank == 0 ? 1.0 : 4.0, ScalarType.Float32))
        {
            group.AllReduce(mean, ReduceOp.Mean);
            Require(Same(mean, full(3, 2.5f)), $"mean: {mean.str()}");
        }
        // In place on a strided view: only the view's elements change, the rest of the storage is untouched.
        using (var matrix = full(new long[] { 3, 4 }, (float)(rank + 1)))
        {
            using var column = matrix.select(1, 2);
            group.AllReduce(column, ReduceOp.Sum);
            Require(Same(matrix.select(1, 2), full(3, 3f)) && Same(matrix.select(1, 0), full(3, (float)(rank + 1))), $"view: {matrix.str()}");
        }
        // Broadcast copies bits, so dtypes MPI cannot reduce still travel.
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float16, ScalarType.Bool, ScalarType.Float32 })
        {
            using var expected = (arange(8, dtype: ScalarType.Float32) % 3).to_type(dtype);
            using var data = rank == 1 ? expected.clone() : zeros(8, dtype);
            group.Broadcast(data, root: 1);
            Require(Same(data, expected), $"broadcast of {dtype}");
        }
        using (var mine = tensor(new long[] { rank, 10 + rank }))
        using (var gathered = group.AllGather(mine))
            Require(Same(gathered, tensor(new long[,] { { 0, 10 }, { 1, 11 } })), $"all-gather: {gathered.str()}");
        using (var bf16 = ones(4, ScalarType.BFloat16))
        {
            var error = Catch<ArgumentException>(() => group.AllReduce(bf16));
            Require(error.Message.Contains("BFloat16") && error.Message.Contains("Float32"), $"bfloat16 all-reduce error: {error.Message}");
        }
        using (var integers = ones(4, ScalarType.Int64))
            Catch<ArgumentException>(() => group.AllReduce(integers, ReduceOp.Mean));
        // Non-blocking: both started before either is waited for.
        using var a = full(1000, (float)rank);
        using var b = full(10, 1f);
        var first = group.StartAllReduce(a);
        var second = group.StartAllReduce(b, ReduceOp.Mean);
        second.Wait();
        first.Wait();
        Require(Same(a, full(1000, 1f)) && Same(b, full(10, 1f)), "non-blocking all-reduces");
        group.Barrier();
    }

    static void TimeoutScenario(IProcessGroup group)
    {
        var mpi = (MpiProcessGroup)group;
        mpi.Timeout = TimeSpan.FromSeconds(1);
        if (group.Rank == 1)
        {
            Thread.Sleep(TimeSpan.FromSeconds(30)); // never joins in time; mpirun ends it when rank 0 aborts
            return;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Catch<TimeoutException>(group.Barrier);
        Require(clock.Elapsed < TimeSpan.FromSeconds(10), $"the barrier timed out after {clock.Elapsed.TotalSeconds:F1} s, not ~1 s");
        Require(error.Message.Contains("barrier") && error.Message.Contains("rank 0 of 2"), $"timeout message: {error.Message}");
        var after = Catch<InvalidOperationException>(() => group.AllReduce(ones(1)));
        Require(after.Message.Contains("failed earlier"), $"a faulted group must refuse further collectives: {after.Message}");
        Console.WriteLine($"PASS timeout rank 0: {error.Message}");
        Console.Out.Flush();
        group.Abort(3);
    }

    // Rank r with batch B per rank must end where one process with batch 2B ends (the digits of unified fit, seed 42),
    // bitwise where one process takes the same micro-batches, and with every rank holding the same weights.
    static void Ddp(IProcessGroup group, string model, bool overlap, int accumulate)
    {
        const int perRankBatch = 32, steps = 50;
        int worldBatch = perRankBatch * group.WorldSize;
        var layout = DigitsModels.LayoutOf(model);
        using var whole = new DigitsDataModule(new DigitsDataOptions { BatchSize = worldBatch * accumulate, Layout = layout });
        using var perRank = new DigitsDataModule(new DigitsDataOptions { BatchSize = perRankBatch, Layout = layout });
        var shards = Enumerable.Range(0, group.WorldSize).Select(r => ((TensorDataLoader)perRank.Train).Shard(r, group.WorldSize, ShardMode.Pad)).ToArray();
        var options = new DdpOptions { OverlapWithBackward = overlap, BucketCapMb = overlap ? 0.01 : 25 };

        // Different seeds per rank: the broadcast at construction must make every replica rank 0's.
        torch.manual_seed(42 + group.Rank);
        var network = DigitsModels.Create(model);
        using (var ddp = new DistributedDataParallel(network, group, options))
        {
            Require(!overlap || (ddp.BucketCount > 1 && ddp.HookedLayers > 0), $"overlap needs several buckets and hooks: {ddp.BucketCount} buckets, {ddp.HookedLayers} hooks");
            int optimizerSteps = Train(network, [shards[group.Rank]], steps * accumulate, ddp, accumulate);
            Require(optimizerSteps == steps && ddp.Synchronizations == steps,
                $"{optimizerSteps} optimiser steps and {ddp.Synchronizations} gradient averagings; expected {steps} each (none on non-stepping micro-batches)");
        }
        RequireIdenticalOnAllRanks(group, network);
        if (group.Rank != 0) return;

        torch.manual_seed(42);
        var large = DigitsModels.Create(model);
        Train(large, [whole.Train], steps, null, 1);
        double difference = MaxAbsDifference(network, large);
        Console.WriteLine($"{model}: max abs difference to one process with batch {worldBatch * accumulate}: {difference:E2}");
        // Batch 2B sums in another order than two batches of B: oneDNN's convolutions block by batch size differently on
        // some CPUs (3.3e-5 after 50 Adam steps was seen on an AVX-512 host), so the CNN gets a looser bound than the
        // MLP's matmuls; the bitwise comparison below checks the arithmetic itself.
        double bound = model == "cnn" ? 1e-4 : 1e-5;
        Require(difference <= bound, $"DDP differs from one large-batch process by {difference:E3} (> {bound:E0})");
        if (accumulate > 1) return;

        // The same arithmetic in one process: the ranks' micro-batches accumulated with loss / world size.
        torch.manual_seed(42);
        var micro = DigitsModels.Create(model);
        Train(micro, shards, steps * group.WorldSize, null, group.WorldSize);
        double exact = MaxAbsDifference(network, micro);
        Console.WriteLine($"{model}: max abs difference to one process accumulating the ranks' batches: {exact:E2}");
        Require(exact == 0, $"DDP differs from one process accumulating the same micro-batches by {exact:E3}; it should be bitwise equal");
    }

    // Micro-batch i comes from loader i % loaders.Length (batch i / loaders.Length), as if the loaders were ranks.
    static int Train(nn.Module<Tensor, Tensor> network, IBatchLoader[] loaders, int microBatches, DistributedDataParallel? ddp, int accumulate, bool sgd = false)
    {
        using optim.Optimizer optimizer = sgd ? optim.SGD(network.parameters(), 0.05, momentum: 0.9) : optim.Adam(network.parameters(), 1e-3);
        network.train();
        var epochs = loaders.Select(l => l.Epoch(0).GetEnumerator()).ToArray();
        int steps = 0;
        for (int i = 0; i < microBatches; i++)
        {
            using var scope = NewDisposeScope();
            var source = epochs[i % epochs.Length];
            if (!source.MoveNext()) throw new InvalidOperationException("the loader ran out of batches");
            using var batch = source.Current;
            bool stepping = (i + 1) % accumulate == 0;
            var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target) / accumulate;
            ddp?.BeforeBackward(stepping);
            loss.backward();
            if (!stepping) continue;
            ddp?.AfterBackward();
            optimizer.step();
            optimizer.zero_grad();
            steps++;
        }
        foreach (var epoch in epochs) epoch.Dispose();
        return steps;
    }

    // A CNN with batch norm: synchronised statistics over 2 ranks × B equal one process's batch norm over 2B. SGD, not
    // Adam: batch norm makes some gradients exactly zero in theory (weights of inputs that are constant over the batch,
    // e.g. blank image borders), so they are rounding noise that Adam would turn into full learning-rate steps.
    static void SyncBn(IProcessGroup group)
    {
        const int perRankBatch = 16, steps = 20;
        using var whole = new DigitsDataModule(new DigitsDataOptions { BatchSize = perRankBatch * group.WorldSize, Layout = InputLayout.Image });
        using var perRank = new DigitsDataModule(new DigitsDataOptions { BatchSize = perRankBatch, Layout = InputLayout.Image });
        torch.manual_seed(7);
        var network = NormNet();
        using (var ddp = new DistributedDataParallel(network, group, new DdpOptions { SyncBatchNorm = true, BroadcastBuffers = false }))
            Train(network, [((TensorDataLoader)perRank.Train).Shard(group.Rank, group.WorldSize, ShardMode.Pad)], steps, ddp, 1, sgd: true);
        RequireIdenticalOnAllRanks(group, network);
        if (group.Rank == 0)
        {
            torch.manual_seed(7);
            var reference = NormNet();
            Train(reference, [whole.Train], steps, null, 1, sgd: true);
            double difference = MaxAbsDifference(network, reference);
            Console.WriteLine($"SyncBatchNorm max abs difference (weights and running statistics): {difference:E2}");
            Require(difference <= 1e-5, $"SyncBatchNorm differs from one-process batch norm by {difference:E3}");
        }
    }

    // No biases before batch norm: it removes them, so their gradient would be only rounding noise.
    static nn.Module<Tensor, Tensor> NormNet() => nn.Sequential(
        nn.Conv2d(1, 8, 3, bias: false), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 13 * 13, 32, hasBias: false), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10));

    // Sizes that do not divide: training shards are padded to equal step counts; validation counts each sample once.
    static void Uneven(IProcessGroup group)
    {
        var strategy = new DdpStrategy(group);
        using var train = Digits(1001, 64, InputLayout.Flat);
        using var validation = Digits(999, 50, InputLayout.Flat, offset: 2000);
        var data = strategy.Shard(new Module(train, validation));
        Require(data.Train.Count == 8 && data.Train.SampleCount == 501, $"padded shard: {data.Train.Count} batches of {data.Train.SampleCount} samples");
        Require(data.Validation!.SampleCount == (group.Rank == 0 ? 500 : 499), $"validation shard of rank {group.Rank}: {data.Validation.SampleCount}");

        torch.manual_seed(3);
        var network = new DigitsMlp();
        using (var ddp = strategy.Wrap(network))
            for (int epoch = 0; epoch < 2; epoch++)
                foreach (var batch in data.Train.Epoch(epoch))
                {
                    using var scope = NewDisposeScope();
                    using var _ = batch;
                    var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
                    ddp.BeforeBackward(true);
                    loss.backward();
                    ddp.AfterBackward();
                }
        using var logged = new LoggedMetrics();
        Evaluate(network, data.Validation, logged);
        var synced = strategy.Reduce(logged);
        using var all = new LoggedMetrics();
        Evaluate(network, validation, all);
        var single = all.Compute();
        foreach (string name in new[] { "val_accuracy", "val_loss" })
            Require(Math.Abs(synced[name] - single[name]) <= 1e-6, $"{name}: {synced[name]} under DDP, {single[name]} in one process");
        Console.WriteLine($"val_accuracy {synced["val_accuracy"]:F6} (DDP) = {single["val_accuracy"]:F6} (one process)");
    }

    static void Evaluate(nn.Module<Tensor, Tensor> network, IBatchLoader loader, LoggedMetrics logged)
    {
        network.eval();
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var _ = batch;
            var logits = network.call(batch.Input);
            logged.Add("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
            logged.Add("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
        }
        network.train();
    }

    // Rank 1 fails mid-epoch: it reports and aborts, and mpirun ends rank 0, which is waiting in a collective.
    static void Fail(IProcessGroup group)
    {
        var strategy = new DdpStrategy(group);
        using var train = Digits(2048, 32, InputLayout.Flat);
        var data = strategy.Shard(new Module(train, null));
        torch.manual_seed(1);
        var network = new DigitsMlp();
        using var ddp = strategy.Wrap(network);
        try
        {
            int step = 0;
            foreach (var batch in data.Train.Epoch(0))
            {
                using var scope = NewDisposeScope();
                using var _ = batch;
                if (group.Rank == 1 && step++ == 5) throw new InvalidOperationException("simulated failure in the training step");
                var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
                ddp.BeforeBackward(true);
                loss.backward();
                ddp.AfterBackward();
            }
        }
        catch (Exception e)
        {
            strategy.Abort(e, Console.Error);
        }
        Console.WriteLine($"rank {group.Rank} finished the epoch");
    }

    // Rank 1 is asked to stop at batch 3 (as by SIGTERM); every rank must stop together at batch 4.
    static void Stop(IProcessGroup group)
    {
        using var agreement = new StopAgreement(group);
        int stoppedAt = -1;
        for (int batch = 0; batch < 100; batch++)
        {
            if (agreement.Poll(stopHere: group.Rank == 1 && batch >= 3))
            {
                stoppedAt = batch;
                break;
            }
            if (group.Rank == 0) Thread.Sleep(5); // ranks at different speeds
        }
        agreement.Complete();
        Require(stoppedAt == 4, $"rank {group.Rank} stopped at batch {stoppedAt}, expected 4");
        using var mine = tensor(new[] { stoppedAt });
        using var all = group.AllGather(mine);
        Require(all.data<int>().ToArray().All(b => b == stoppedAt), "ranks stopped at different batches");
    }

    // Through the step kernel: when one rank skips a non-finite loss, both still step (with the other rank's gradient
    // averaged over both); when both skip, both skip. The replicas stay identical either way.
    static void SkipNonFinite(IProcessGroup group)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 32 });
        var shard = ((TensorDataLoader)data.Train).Shard(group.Rank, group.WorldSize, ShardMode.Pad);
        torch.manual_seed(5);
        var network = new DigitsMlp();
        using var ddp = new DistributedDataParallel(network, group);
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        using var kernel = new StepKernel(network, new OptimizerConfig(optimizer), new StepOptions { SkipNonFiniteLoss = true }, ddp);
        int index = 0;
        foreach (var batch in shard.Epoch(0).Take(10))
        {
            using var _ = batch;
            int i = index++;
            bool poisoned = (i == 3 && group.Rank == 1) || i == 6;
            using var loss = kernel.Step(() =>
            {
                var value = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
                return poisoned ? value * double.NaN : value;
            });
        }
        Require(kernel.GlobalStep == 10 && kernel.SkippedSteps == 1, $"rank {group.Rank}: {kernel.GlobalStep} steps, {kernel.SkippedSteps} skipped; expected 10 and 1 (only where every rank skipped)");
        RequireIdenticalOnAllRanks(group, network);
        using var weights = cat(network.parameters().Select(p => p.flatten()).ToArray());
        Require(weights.isfinite().all().item<bool>(), "non-finite weights");
    }

    // Lightning's self.log(..., sync_dist=True) (result.py _ResultMetric.compute): a mean is the sums and the sample
    // counts all-reduced, as one process that saw every rank's batches; max and min reduce with their own operation; a
    // value logged without sync_dist stays each rank's own.
    static void LogSync(IProcessGroup group)
    {
        int rank = group.Rank;
        var logged = new LoggedMetrics();
        var synced = new LogOptions { SyncDist = true };
        // Rank 0 logs 1 (8 samples) and 3 (2 samples); rank 1 logs 10 (4 samples) and 0.5 (6 samples).
        double[] values = rank == 0 ? [1, 3] : [10, 0.5];
        int[] sizes = rank == 0 ? [8, 2] : [4, 6];
        for (int i = 0; i < 2; i++)
        {
            using var value = tensor((float)values[i]);
            logged.Add("loss", value, sizes[i], synced);
            logged.Add("peak", value, sizes[i], synced with { Reduce = Reduction.Max });
            logged.Add("low", value, sizes[i], synced with { Reduce = Reduction.Min });
            logged.Add("own", value, sizes[i], new LogOptions());
        }
        var epoch = logged.Compute(group);
        double mean = (1 * 8 + 3 * 2 + 10 * 4 + 0.5 * 6) / 20.0, own = rank == 0 ? (1 * 8 + 3 * 2) / 10.0 : (10 * 4 + 0.5 * 6) / 10.0;
        Require(epoch["loss"] == mean, $"synced mean {epoch["loss"]}, expected {mean}");
        Require(epoch["peak"] == 10 && epoch["low"] == 0.5, $"synced max {epoch["peak"]} and min {epoch["low"]}, expected 10 and 0.5");
        Require(epoch["own"] == own, $"unsynced mean {epoch["own"]}, expected rank {rank}'s own {own}");
        // A synced name logged on one rank only would leave the other waiting in a collective: both ranks refuse.
        var uneven = new LoggedMetrics();
        using (var one = tensor(1f)) uneven.Add(rank == 0 ? "a" : "b", one, 1, synced);
        try
        {
            uneven.Compute(group);
            throw new InvalidOperationException("different synced names on the ranks were not refused");
        }
        catch (InvalidOperationException e) when (e.Message.Contains("same names", StringComparison.Ordinal)) { }
        logged.Dispose();
        uneven.Dispose();
    }

    sealed class Module(IBatchLoader train, IBatchLoader? validation) : IDataModule
    {
        public IBatchLoader Train => train;
        public IBatchLoader? Validation => validation;
    }

    static TensorDataLoader Digits(int count, int batchSize, InputLayout layout, int offset = 0)
    {
        var (shape, pixels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-images-idx3-ubyte.gz"));
        var (_, labels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-labels-idx1-ubyte.gz"));
        long[] sampleShape = layout == InputLayout.Image ? [shape[0], 1, shape[1], shape[2]] : [shape[0], shape[1] * shape[2]];
        using var bytes = tensor(pixels, ScalarType.Byte).reshape(sampleShape);
        using var images = bytes.to_type(ScalarType.Float32).div_(255f);
        using var targets = tensor(labels, ScalarType.Byte).to_type(ScalarType.Int64);
        return new TensorDataLoader(images.narrow(0, offset, count).clone(), targets.narrow(0, offset, count).clone(), batchSize, shuffle: true, seed: 11);
    }

    static void RequireIdenticalOnAllRanks(IProcessGroup group, nn.Module network)
    {
        using var scope = NewDisposeScope();
        var flat = cat(network.state_dict().Values.Select(t => t.detach().to_type(ScalarType.Float64).flatten()).ToArray());
        var all = group.AllGather(flat);
        for (int r = 1; r < group.WorldSize; r++)
            Require(Same(all[r], all[0]), $"rank {r}'s weights differ from rank 0's");
    }

    static double MaxAbsDifference(nn.Module a, nn.Module b)
    {
        using var scope = NewDisposeScope();
        var left = a.state_dict();
        var right = b.state_dict();
        var differences = left.Keys.Select(k => (Key: k, Value: (left[k].to_type(ScalarType.Float64) - right[k].to_type(ScalarType.Float64)).abs().max().item<double>())).ToList();
        var worst = differences.MaxBy(d => d.Value);
        Console.WriteLine($"largest difference in '{worst.Key}': {worst.Value:E2} (largest magnitude {left[worst.Key].to_type(ScalarType.Float64).abs().max().item<double>():E2})");
        return worst.Value;
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    static T Catch<T>(Action action) where T : Exception
    {
        try
        {
            action();
        }
        catch (T expected)
        {
            return expected;
        }
        throw new InvalidOperationException($"Expected a {typeof(T).Name}, but nothing was thrown.");
    }

    static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException("check failed: " + message);
    }
}
