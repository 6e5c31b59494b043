using System.Diagnostics;
using Unified.Core.Data;
using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

/// <summary>
/// BasicTimeProfiler as Ignite's (ignite/handlers/time_profilers.py; tests/ignite/handlers/test_time_profilers.py
/// test_processing_timer, test_event_handler_epoch_completed, test_write_results): per-iteration processing,
/// dataflow and per-event handler times. The checks are lower bounds set by busy-waits, never upper bounds.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BasicTimeProfilerTests
{
    static void Busy(double milliseconds)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < milliseconds) { }
    }

    static void LogEpoch(Engine engine) => Busy(3);

    static (Engine Engine, BasicTimeProfiler Profiler) Profiled()
    {
        var engine = new Engine((_, _) =>
        {
            Busy(2);
            return null;
        });
        engine.On(Events.IterationCompleted, _ => Busy(1));
        engine.On(Events.EpochCompleted, LogEpoch);
        var profiler = new BasicTimeProfiler();
        profiler.Attach(engine);
        return (engine, profiler);
    }

    [Fact]
    public void Results_TimeTheProcessFunctionAndEachEventsHandlers()
    {
        using var data = CountingData.Loader(6, 2);
        var (engine, profiler) = Profiled();

        engine.Run(data, maxEpochs: 2);
        var results = profiler.GetResults();

        Assert.Equal(6, results.Processing.Count);
        Assert.True(results.Processing.Min >= 0.002, $"processing min {results.Processing.Min}");
        Assert.Equal(6, results.Dataflow.Count);
        Assert.Equal(6, results.EventHandlers["ITERATION_COMPLETED"].Count);
        Assert.True(results.EventHandlers["ITERATION_COMPLETED"].Min >= 0.001);
        Assert.Equal(2, results.EventHandlers["EPOCH_COMPLETED"].Count);
        Assert.True(results.EventHandlers["EPOCH_COMPLETED"].Min >= 0.003);
        Assert.True(results.EventHandlersTotal >= 6 * 0.001 + 2 * 0.003);
        Assert.Equal(["STARTED", "EPOCH_STARTED", "ITERATION_STARTED", "ITERATION_COMPLETED", "EPOCH_COMPLETED", "COMPLETED", "GET_BATCH_STARTED", "GET_BATCH_COMPLETED"],
            results.EventHandlers.Keys);
        Assert.Equal(["BasicTimeProfilerTests.LogEpoch"], results.EventHandlerNames["EPOCH_COMPLETED"]);
        Assert.Empty(results.EventHandlerNames["STARTED"]);
        var printed = BasicTimeProfiler.PrintResults(results);
        Assert.Contains("Processing function:", printed);
        Assert.Contains("- Events.EPOCH_COMPLETED: ['BasicTimeProfilerTests.LogEpoch']", printed);
    }

    [Fact]
    public void Completed_RemovesTheProfilersHandlers_AndTheNextRunIsProfiledAgain()
    {
        using var data = CountingData.Loader(6, 2);
        var (engine, profiler) = Profiled();
        engine.Run(data, maxEpochs: 1);
        Assert.False(engine.HasHandlers(Events.GetBatchStarted));
        Assert.False(engine.HasHandlers(Events.IterationStarted));

        engine.Run(data, maxEpochs: 2); // continues with epoch 2 (Ignite's run after a raised max_epochs)

        Assert.Equal(3, profiler.GetResults().Processing.Count);
        Assert.Equal(2, engine.State.Epoch);
    }

    [Fact]
    public void WriteResults_WritesIgnitesColumns_OneRowPerIteration()
    {
        using var temp = new TempDirectory();
        using var data = CountingData.Loader(6, 2);
        var (engine, profiler) = Profiled();
        engine.Run(data, maxEpochs: 2);

        profiler.WriteResults(temp.File("time_profiling.csv"));

        var lines = File.ReadAllLines(temp.File("time_profiling.csv"));
        Assert.Equal("epoch,iteration,processing_stats,dataflow_stats,Event_STARTED,Event_COMPLETED,Event_EPOCH_STARTED,Event_EPOCH_COMPLETED," +
            "Event_ITERATION_STARTED,Event_ITERATION_COMPLETED,Event_GET_BATCH_STARTED,Event_GET_BATCH_COMPLETED", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal([1.0, 1, 1, 2, 2, 2], rows.Select(r => r[0]));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], rows.Select(r => r[1]));
        Assert.All(rows, r => Assert.True(r[2] >= 0.002 && r[9] >= 0.001 && r[7] >= 0.003));
        Assert.Equal(rows[0][7], rows[2][7]); // the epoch's time on each of its rows
    }

    [Fact]
    public void Run_OnDataWithoutALengthOrEpochLength_SaysToPassTheEpochLength()
    {
        static IEnumerable<Batch> Generator()
        {
            using var loader = CountingData.Loader(4, 2);
            foreach (var batch in loader.Epoch(0, 0)) yield return batch;
        }
        var (engine, _) = Profiled();

        var error = Assert.Throws<InvalidOperationException>(() => engine.Run(Generator()));

        Assert.Contains("epochLength", error.Message);
    }

    [Fact]
    public void WriteResults_BeforeARun_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new BasicTimeProfiler().WriteResults("unused.csv"));
}
