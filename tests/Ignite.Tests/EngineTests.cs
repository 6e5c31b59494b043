using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class EngineTests
{
    static readonly EventKind[] Moments =
        [EventKind.Started, EventKind.EpochStarted, EventKind.IterationStarted, EventKind.IterationCompleted, EventKind.EpochCompleted, EventKind.Completed];

    static Event Of(EventKind kind) => kind switch
    {
        EventKind.Started => Events.Started,
        EventKind.EpochStarted => Events.EpochStarted,
        EventKind.IterationStarted => Events.IterationStarted,
        EventKind.IterationCompleted => Events.IterationCompleted,
        EventKind.EpochCompleted => Events.EpochCompleted,
        EventKind.Completed => Events.Completed,
        _ => Events.ExceptionRaised,
    };

    static List<string> RecordAll(Engine engine)
    {
        var log = new List<string>();
        foreach (var kind in Moments) engine.On(Of(kind), e => log.Add($"{kind}({e.State.Epoch},{e.State.Iteration})"));
        return log;
    }

    [Fact]
    public void Run_FiresEveryEventInOrderWithTheRightCounts()
    {
        using var data = CountingData.Loader(samples: 6, batchSize: 2);
        var engine = new Engine((_, _) => null);
        var log = RecordAll(engine);

        engine.Run(data, maxEpochs: 2);

        var expected = new List<string> { "Started(0,0)" };
        for (int epoch = 1, iteration = 0; epoch <= 2; epoch++)
        {
            expected.Add($"EpochStarted({epoch},{iteration})");
            for (int i = 0; i < 3; i++)
            {
                iteration++;
                expected.Add($"IterationStarted({epoch},{iteration})");
                expected.Add($"IterationCompleted({epoch},{iteration})");
            }
            expected.Add($"EpochCompleted({epoch},{iteration})");
        }
        expected.Add("Completed(2,6)");
        Assert.Equal(expected, log);
    }

    [Fact]
    public void State_CountersAreOneBasedAndTheBatchAndOutputAreCurrent()
    {
        using var data = CountingData.Loader(samples: 5, batchSize: 2);
        var seen = new List<(int Epoch, long Iteration, int EpochIteration, long FirstTarget)>();
        var outputs = new List<object?>();
        var engine = new Engine((e, batch) =>
        {
            Assert.Same(batch, e.State.Batch);
            seen.Add((e.State.Epoch, e.State.Iteration, e.State.EpochIteration, batch.Target[0].item<long>()));
            return $"out{e.State.Iteration}";
        });
        engine.On(Events.IterationCompleted, e => outputs.Add(e.State.Output));

        var state = engine.Run(data, maxEpochs: 2);

        Assert.Equal(new (int, long, int, long)[] { (1, 1, 1, 0), (1, 2, 2, 2), (1, 3, 3, 4), (2, 4, 1, 0), (2, 5, 2, 2), (2, 6, 3, 4) }, seen);
        Assert.Equal(new object[] { "out1", "out2", "out3", "out4", "out5", "out6" }, outputs);
        Assert.Same(engine.State, state);
        Assert.Equal((2, 6L, 2, 3), (state.Epoch, state.Iteration, state.MaxEpochs, state.EpochLength));
        Assert.Null(state.Batch);
        Assert.Null(state.Output);
    }

    [Fact]
    public void Run_DisposesEachBatchAndDisposableOutputBeforeTheNextIteration()
    {
        using var data = CountingData.Loader(samples: 6, batchSize: 2);
        var batches = new List<Unified.Core.Data.Batch>();
        var outputs = new List<DisposalProbe>();
        var engine = new Engine((_, batch) =>
        {
            Assert.All(batches, b => Assert.True(b.Input.IsInvalid));
            Assert.All(outputs, o => Assert.True(o.Disposed));
            batches.Add(batch);
            var output = new DisposalProbe();
            outputs.Add(output);
            return output;
        });

        engine.Run(data, maxEpochs: 1);

        Assert.Equal(3, outputs.Count);
        Assert.All(outputs, o => Assert.True(o.Disposed));
        Assert.All(batches, b => Assert.True(b.Input.IsInvalid));
    }

    [Fact]
    public void Run_AgainAfterTheRunIsDone_StartsFromFreshCounters()
    {
        // ignite/engine/engine.py Engine.run: a done state is replaced; tests/ignite/engine/test_engine.py test_engine_run_resume.
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        var engine = new Engine((_, _) => null);
        engine.On(Events.Completed, e => e.State.Metrics["x"] = 1);
        engine.Run(data, maxEpochs: 3);

        var starts = new List<(int, long)>();
        engine.On(Events.Started, e => starts.Add((e.State.Epoch, e.State.Iteration)));
        var state = engine.Run(data, maxEpochs: 3);
        Assert.Equal(new[] { (0, 0L) }, starts);
        Assert.Equal((3, 6L), (state.Epoch, state.Iteration));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Run(data, maxEpochs: 1));
        Assert.Contains("State.MaxEpochs = null", e.Message);
        engine.State.MaxEpochs = null;
        Assert.Equal((1, 2L), (engine.Run(data, maxEpochs: 1).Epoch, engine.State.Iteration));
    }

    [Fact]
    public void Terminate_StopsAfterTheCurrentIteration_FiresTerminateThenCompleted_NotEpochCompleted()
    {
        // ignite/engine/engine.py terminate(): "Terminating event, TERMINATE, COMPLETED"; test_engine.py test_terminate_events_sequence.
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        int processed = 0;
        var engine = new Engine((_, _) => ++processed);
        engine.On(Events.IterationCompleted.Once(2), e => e.Terminate());
        var log = RecordAll(engine);
        engine.On(Events.Terminate, e => log.Add($"Terminate({e.State.Epoch},{e.State.Iteration})"));

        var state = engine.Run(data, maxEpochs: 3);

        Assert.Equal(2, processed);
        Assert.Equal((1, 2L), (state.Epoch, state.Iteration));
        Assert.Equal(new[] { "IterationCompleted(1,2)", "Terminate(1,2)", "Completed(1,2)" }, log[^3..]);
        Assert.DoesNotContain(log, l => l.StartsWith("EpochCompleted", StringComparison.Ordinal));
    }

    [Fact]
    public void Terminate_AtEpochEnd_StartsNoFurtherEpoch()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        var engine = new Engine((_, _) => null);
        engine.On(Events.EpochCompleted.Once(2), e => e.Terminate());

        var state = engine.Run(data, maxEpochs: 5);

        Assert.Equal((2, 4L), (state.Epoch, state.Iteration));
    }

    [Fact]
    public void ExceptionRaisedHandler_ForAnIterationsException_EndsThatEpochAndTheRunGoesOn()
    {
        // ignite/engine/engine.py _run_once_on_dataset_as_gen handles it and returns: EPOCH_COMPLETED fires and the next
        // epoch runs (tests/ignite/engine/test_engine.py test_run_handles_process_function_exception).
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        var failure = new InvalidOperationException("bad batch");
        var engine = new Engine((e, _) => e.State.Iteration == 3 ? throw failure : null);
        var received = new List<Exception>();
        engine.On(Events.ExceptionRaised, (e, exception) => received.Add(exception));
        var log = RecordAll(engine);

        var state = engine.Run(data, maxEpochs: 2);

        Assert.Same(failure, Assert.Single(received));
        Assert.Equal(8, state.Iteration);
        Assert.Contains("EpochCompleted(1,3)", log);
        Assert.Equal("Completed(2,8)", log[^1]);
        Assert.Null(state.Batch);
    }

    [Fact]
    public void ExceptionRaisedHandler_AlsoReceivesExceptionsFromHandlers()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        var engine = new Engine((_, _) => null);
        engine.On(Events.EpochCompleted, _ => throw new FormatException("handler failed"));
        Exception? received = null;
        engine.On(Events.ExceptionRaised, (_, exception) => received = exception);

        engine.Run(data, maxEpochs: 2);

        Assert.IsType<FormatException>(received);
    }

    [Fact]
    public void WithoutAnExceptionHandler_TheExceptionPropagates()
    {
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        var failure = new InvalidOperationException("bad batch");
        var engine = new Engine((e, _) => e.State.Iteration == 2 ? throw failure : null);

        var thrown = Assert.Throws<InvalidOperationException>(() => engine.Run(data));

        Assert.Same(failure, thrown);
        Assert.Null(engine.State.Batch);
    }

    [Fact]
    public void ExceptionHandler_OnAnotherEvent_IsRejected()
    {
        var engine = new Engine((_, _) => null);

        var e = Assert.Throws<ArgumentException>(() => engine.On(Events.Completed, (_, _) => { }));
        Assert.Contains("ExceptionRaised", e.Message);
    }

    [Fact]
    public void Run_CancelledToken_ThrowsOperationCanceledBeforeTheNextIteration()
    {
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        using var cancellation = new CancellationTokenSource();
        int processed = 0;
        var engine = new Engine((_, _) => ++processed);
        engine.On(Events.IterationCompleted.Once(2), _ => cancellation.Cancel());

        Assert.ThrowsAny<OperationCanceledException>(() => engine.Run(data, 2, cancellation.Token));

        Assert.Equal(2, processed);
    }

    [Fact]
    public void Run_Cancelled_LeavesNoBatchAlive()
    {
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        using var cancellation = new CancellationTokenSource();
        var engine = new Engine((_, _) => null);
        engine.On(Events.IterationCompleted.Once(2), _ => cancellation.Cancel());
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.ThrowsAny<OperationCanceledException>(() => engine.Run(data, 2, cancellation.Token));

        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Run_LeavesNoBatchAlive()
    {
        using var data = CountingData.Loader(samples: 10, batchSize: 2);
        var engine = new Engine((_, _) => null);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        engine.Run(data, 2);

        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Run_WithMaxEpochsBelowOne_Throws()
    {
        using var data = CountingData.Loader(samples: 2, batchSize: 2);
        var engine = new Engine((_, _) => null);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Run(data, maxEpochs: 0));
        Assert.Equal("maxEpochs", e.ParamName);
    }

    [Fact]
    public void HasHandlers_ReflectsRegistrationAndRemoval()
    {
        var engine = new Engine((_, _) => null);
        Assert.False(engine.HasHandlers(EventKind.Completed));

        var handle = engine.On(Events.Completed, _ => { });
        Assert.True(engine.HasHandlers(EventKind.Completed));

        handle.Dispose();
        Assert.False(engine.HasHandlers(EventKind.Completed));
    }
}
