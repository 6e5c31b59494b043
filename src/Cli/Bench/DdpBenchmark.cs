using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Unified.Cli.Launch;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// Data-parallel scaling of the digits CNN: the same epoch (8,000 samples, batch 64 per rank, one thread per rank) in
/// one process and in two ranks under mpirun, each a fresh launch of <c>unified bench ddp-worker</c>; the Lightning
/// front-end and a hand-written loop over <see cref="DistributedDataParallel"/> are interleaved inside every launch.
/// </summary>
public static class DdpBenchmark
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Runs both launches with <paramref name="rounds"/> timed epochs each.</summary>
    public static DdpReport Run(int rounds, int batchSize, TextWriter error)
    {
        string[] worker = ["bench", "ddp-worker", "--rounds", rounds.ToString(CultureInfo.InvariantCulture), "--batch-size", batchSize.ToString(CultureInfo.InvariantCulture)];
        var one = Parse(SelfProcess.RunLastLine(worker, MpiLauncher.RankEnvironment(), TimeSpan.FromMinutes(10)));
        var output = new StringWriter();
        int code = MpiLauncher.Run(2, worker, output, error);
        if (code != 0) throw new InvalidOperationException($"The 2-rank benchmark failed (mpirun exit code {code}); its output: {output}");
        var two = Parse(output.ToString().TrimEnd().Split('\n')[^1]);
        int samples = DigitsSamples();
        double Rate(double seconds) => samples / seconds;
        return new DdpReport(
            Math.Round(Rate(one.LightningSeconds), 1), Math.Round(Rate(two.LightningSeconds), 1),
            Math.Round(one.LightningSeconds / (2 * two.LightningSeconds), 4), Math.Round(two.LightningCommSeconds / two.LightningSeconds, 4),
            Math.Round(Rate(one.RawSeconds), 1), Math.Round(Rate(two.RawSeconds), 1),
            Math.Round(one.RawSeconds / (2 * two.RawSeconds), 4), Math.Round(two.RawCommSeconds / two.RawSeconds, 4),
            Math.Round(Rate(two.OverlapSeconds), 1), two.AllReduceMs, batchSize, samples, rounds);
    }

    /// <summary>One rank's measurements (every rank of the launch runs this; rank 0's line is the result).</summary>
    public static DdpRankTimes Measure(int rounds, int batchSize)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var group = ProcessGroups.FromEnvironment();
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = batchSize, Layout = InputLayout.Image });
        var shard = new ShardedDataModule(new TrainOnly(data.Train), group);
        var times = new Dictionary<string, List<double>> { ["lightning"] = [], ["lightning_comm"] = [], ["raw"] = [], ["raw_comm"] = [], ["overlap"] = [] };
        for (int round = -1; round < rounds; round++)
        {
            var (lightning, lightningComm) = TimeLightning(data);
            var (raw, rawComm) = TimeRaw(shard.Train, group, new DdpOptions());
            var (overlap, _) = TimeRaw(shard.Train, group, new DdpOptions { BucketCapMb = 0.01, OverlapWithBackward = true });
            if (round < 0) continue;
            times["lightning"].Add(lightning);
            times["lightning_comm"].Add(lightningComm);
            times["raw"].Add(raw);
            times["raw_comm"].Add(rawComm);
            times["overlap"].Add(overlap);
        }
        var allReduce = group.WorldSize > 1 ? AllReduceMs(group) : new Dictionary<string, double>();
        return new DdpRankTimes(group.WorldSize, Timings.Median(times["lightning"]), Timings.Median(times["lightning_comm"]), Timings.Median(times["raw"]),
            Timings.Median(times["raw_comm"]), Timings.Median(times["overlap"]), allReduce);
    }

    /// <summary>The JSON line of <paramref name="times"/>.</summary>
    public static string ToJson(DdpRankTimes times) => JsonSerializer.Serialize(times, Json);

    static DdpRankTimes Parse(string line)
    {
        int start = line.IndexOf('{');
        return (start >= 0 ? JsonSerializer.Deserialize<DdpRankTimes>(line[start..], Json) : null)
            ?? throw new InvalidOperationException($"The benchmark worker printed no result: '{line}'.");
    }

    static int DigitsSamples()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { Layout = InputLayout.Image });
        return data.Train.SampleCount;
    }

    static (double Seconds, double Comm) TimeLightning(IDataModule data)
    {
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsCnn(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", LimitValBatches = 0, EnableProgressBar = false, EnableModelSummary = false });
        var clock = Stopwatch.StartNew();
        trainer.Fit(module, new TrainOnly(data.Train));
        return (clock.Elapsed.TotalSeconds, trainer.CommunicationSeconds);
    }

    // The hand-written loop of bench overhead, plus what data parallelism needs: a shard, the wrapper, and its two calls.
    static (double Seconds, double Comm) TimeRaw(IBatchLoader shard, IProcessGroup group, DdpOptions options)
    {
        Seed.Everything(42);
        using var network = new DigitsCnn();
        using var ddp = new DistributedDataParallel(network, group, options);
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        using var lossSum = zeros(1, ScalarType.Float64);
        group.Barrier();
        var clock = Stopwatch.StartNew();
        foreach (var batch in shard.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using var disposeBatch = batch;
            var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
            ddp.BeforeBackward(stepping: true);
            loss.backward();
            ddp.AfterBackward();
            optimizer.step();
            optimizer.zero_grad();
            lossSum.add_(loss.detach());
        }
        group.Barrier();
        return (clock.Elapsed.TotalSeconds, ddp.CommunicationSeconds);
    }

    static Dictionary<string, double> AllReduceMs(IProcessGroup group)
    {
        var result = new Dictionary<string, double>();
        foreach (double mb in new[] { 0.05, 1, 10, 25, 50 })
        {
            using var buffer = ones((long)(mb * 1024 * 1024 / 4));
            var samples = new List<double>();
            for (int i = -2; i < 9; i++)
            {
                group.Barrier();
                var clock = Stopwatch.StartNew();
                group.AllReduce(buffer);
                if (i >= 0) samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            result[mb.ToString(CultureInfo.InvariantCulture)] = Math.Round(Timings.Median(samples), 3);
        }
        return result;
    }
}
