using Xunit;

namespace Unified.Ignite.Tests;

/// <summary>
/// For 3 epochs of 5 iterations: the exact (epoch, iteration) at which filtered handlers fire, custom events, and the
/// events around Terminate and TerminateEpoch. Expectations come from Ignite's ignite/engine/events.py (filters,
/// State.event_to_attr), ignite/engine/engine.py (_internal_run_as_gen, _run_once_on_dataset_as_gen) and
/// tests/ignite/engine/test_engine.py / test_event_handlers.py.
/// </summary>
[Collection(Unified.Testing.TorchCollection.Name)]
public sealed class EventSemanticsTests
{
    const int Epochs = 3, Length = 5;

    static Unified.Core.Data.TensorDataLoader Data() => CountingData.Loader(samples: 10, batchSize: 2);

    static List<(int, long)> FiredAt(Event evt) => FiredAt(new EventList([evt]));

    static List<(int, long)> FiredAt(EventList events)
    {
        using var data = Data();
        var engine = new Engine((_, _) => null);
        var fired = new List<(int, long)>();
        engine.On(events, e => fired.Add((e.State.Epoch, e.State.Iteration)));
        engine.Run(data, maxEpochs: Epochs);
        return fired;
    }

    static (int, long)[] Iterations(params long[] iterations) => [.. iterations.Select(i => ((int)((i - 1) / Length) + 1, i))];

    [Fact]
    public void Filters_FireAtIgnitesCounts()
    {
        Assert.Equal(Iterations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), FiredAt(Events.IterationCompleted));
        Assert.Equal(Iterations(2, 4, 6, 8, 10, 12, 14), FiredAt(Events.IterationCompleted.Every(2)));
        Assert.Equal(Iterations(3), FiredAt(Events.IterationCompleted.Once(3)));
        // test_event_handlers.py test_once_event_filter with a list: once=[2, 7, 15].
        Assert.Equal(Iterations(2, 7, 15), FiredAt(Events.IterationCompleted.Once(2, 7, 15)));
        Assert.Equal(Iterations(1, 2, 3), FiredAt(Events.IterationStarted.Before(4)));
        Assert.Equal(Iterations(13, 14, 15), FiredAt(Events.IterationCompleted.After(12)));
        Assert.Equal(Iterations(5, 6, 7, 8), FiredAt(Events.IterationCompleted.After(4).Before(9)));
        // every_before_and_after_event_filter counts `every` from after + 1: (count - after - 1) % every == 0.
        Assert.Equal(Iterations(4, 6, 8, 10, 12, 14), FiredAt(Events.IterationCompleted.Every(2).After(3)));
        Assert.Equal(Iterations(1, 3, 5), FiredAt(Events.IterationCompleted.Every(2).Before(6)));
        Assert.Equal(Iterations(3, 6, 9), FiredAt(Events.IterationCompleted.Every(3).After(2).Before(10)));
        Assert.Equal(Iterations(1, 6, 11), FiredAt(Events.IterationCompleted.Filter((_, count) => count % Length == 1)));
        // Epoch events and STARTED / COMPLETED count epochs (State.event_to_attr).
        Assert.Equal([(2, 5L)], FiredAt(Events.EpochStarted.Every(2)));
        Assert.Equal([(1, 5L), (3, 15L)], FiredAt(Events.EpochCompleted.Once(1, 3)));
        Assert.Equal([(3, 15L)], FiredAt(Events.Completed.Once(3)));
        Assert.Empty(FiredAt(Events.Started.Once(1)));
        // GET_BATCH_* see the iteration before it is incremented.
        Assert.Equal([(1, 4L), (2, 5L)], FiredAt(Events.GetBatchStarted.Once(4, 5)));
        Assert.Equal([(2, 5L), (3, 10L)], FiredAt(Events.DataloaderStopIteration));
    }

    [Fact]
    public void Or_FiresEachEventWithItsOwnFilter()
    {
        Assert.Equal([(1, 0L), (3, 14L), (3, 15L)], FiredAt(Events.EpochStarted.Once(1) | Events.IterationCompleted.Once(14) | Events.Completed));
    }

    [Fact]
    public void BuiltInEventOrder_IncludesBatchAndDataloaderEvents()
    {
        using var data = Data();
        var recorded = new RecordedEngine();
        recorded.Engine.Run(data, maxEpochs: 2);

        var names = recorded.Called.Select(c => c.Event).ToList();
        Assert.Equal(["STARTED", "EPOCH_STARTED", "GET_BATCH_STARTED", "GET_BATCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED"], names[..6]);
        // Epoch 2 starts by finding the first pass exhausted: GET_BATCH_STARTED, DATALOADER_STOP_ITERATION, GET_BATCH_COMPLETED.
        int second = names.IndexOf("EPOCH_STARTED", 2);
        Assert.Equal(["EPOCH_STARTED", "GET_BATCH_STARTED", "DATALOADER_STOP_ITERATION", "GET_BATCH_COMPLETED", "ITERATION_STARTED"], names[second..(second + 5)]);
        Assert.Equal((2, 10L, "COMPLETED"), recorded.Called[^1]);
        Assert.Equal(["EPOCH_COMPLETED", "COMPLETED"], names[^2..]);
    }

    [Fact]
    public void CustomEvents_FireWithTheirRegisteredCounterAndFilters()
    {
        using var data = Data();
        var backward = Event.Custom("backward_completed");
        var optimizerStep = Event.Custom("optim_step_completed");
        Engine engine = null!;
        engine = new Engine((e, _) =>
        {
            e.FireEvent(backward);
            if (e.State.Iteration % 2 == 0)
            {
                e.State.Extras["optim_step"] = e.State.Iteration / 2;
                e.FireEvent(optimizerStep);
            }
            return null;
        });
        engine.RegisterEvents([backward], counter: "iteration");
        engine.RegisterEvents([optimizerStep], counter: "optim_step");
        var atBackward = new List<(int, long)>();
        var atStep = new List<(int, long)>();
        engine.On(backward.Every(4), e => atBackward.Add((e.State.Epoch, e.State.Iteration)));
        engine.On(optimizerStep.Once(3) | optimizerStep.After(6), e => atStep.Add((e.State.Epoch, e.State.Iteration)));

        engine.Run(data, maxEpochs: Epochs);

        Assert.Equal(Iterations(4, 8, 12), atBackward);
        Assert.Equal(Iterations(6, 14), atStep);
        Assert.True(engine.HasRegisteredEvents(backward));
    }

    [Fact]
    public void CustomEvents_Unregistered_AreRefused()
    {
        var engine = new Engine((_, _) => null);
        var custom = Event.Custom("foo");

        var e = Assert.Throws<ArgumentException>(() => engine.On(custom, _ => { }));
        Assert.Contains("RegisterEvents", e.Message);
        Assert.Throws<ArgumentException>(() => engine.FireEvent(custom));
        engine.RegisterEvents(custom);
        Assert.Contains("no counter", Assert.Throws<ArgumentException>(() => engine.On(custom.Every(2), _ => { })).Message);
        Assert.Throws<ArgumentException>(() => engine.On(Events.Terminate.Once(1), _ => { }));
    }

    // test_engine.py test_terminate_events_sequence, on 3 epochs of 5 iterations.
    [Theory]
    [InlineData("STARTED", 0, 0, false)]
    [InlineData("EPOCH_STARTED", 2, 5, false)]
    [InlineData("GET_BATCH_STARTED", 2, 7, false)]
    [InlineData("GET_BATCH_COMPLETED", 2, 7, true)]
    [InlineData("ITERATION_STARTED", 2, 7, false)]
    [InlineData("ITERATION_COMPLETED", 2, 7, false)]
    [InlineData("ITERATION_COMPLETED", 2, 7, true)]
    [InlineData("EPOCH_COMPLETED", 2, 10, false)]
    public void Terminate_FiresTerminateThenCompleted_AfterTheTerminatingEvent(string at, int epoch, long iteration, bool skipCompleted)
    {
        using var data = Data();
        var recorded = new RecordedEngine();
        var evt = Events.All.Single(e => e.Name == at);
        var filtered = at switch { "STARTED" => evt, "EPOCH_STARTED" or "EPOCH_COMPLETED" => evt.Once(2), _ => evt.Once(7) };
        recorded.Engine.On(filtered, e => e.Terminate(skipCompleted));
        recorded.Engine.On(Events.ExceptionRaised, (_, e) => Assert.Fail($"Terminate must not raise, got {e}"));

        var state = recorded.Engine.Run(data, maxEpochs: Epochs);

        var tail = skipCompleted ? new[] { (epoch, iteration, at), (epoch, iteration, "TERMINATE") }
            : [(epoch, iteration, at), (epoch, iteration, "TERMINATE"), (epoch, iteration, "COMPLETED")];
        Assert.Equal(tail, recorded.Called[^tail.Length..]);
        Assert.Equal((epoch, iteration), (state.Epoch, state.Iteration));
        // The stopped epoch's EPOCH_COMPLETED does not fire (unless it was the terminating event).
        Assert.Equal(at == "EPOCH_COMPLETED" ? 2 : Math.Max(0, epoch - 1), recorded.Called.Count(c => c.Event == "EPOCH_COMPLETED"));
    }

    // test_engine.py test_terminate_epoch_events_sequence and test_terminate_epoch_stops_mid_epoch.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TerminateEpoch_FiresTerminateSingleEpochThenEpochCompleted_AndTheNextEpochStarts(bool skipEpochCompleted)
    {
        using var data = Data();
        var recorded = new RecordedEngine();
        recorded.Engine.On(Events.IterationCompleted.Once(7), e => e.TerminateEpoch(skipEpochCompleted));

        var state = recorded.Engine.Run(data, maxEpochs: Epochs);

        int at = recorded.Called.IndexOf((2, 7, "TERMINATE_SINGLE_EPOCH"));
        Assert.Equal((2, 7L, "ITERATION_COMPLETED"), recorded.Called[at - 1]);
        Assert.Equal(skipEpochCompleted ? (3, 7L, "EPOCH_STARTED") : (2, 7L, "EPOCH_COMPLETED"), recorded.Called[at + 1]);
        // Iterations: 5 * (3 - 1) + 7 % 5.
        Assert.Equal((3, 12L), (state.Epoch, state.Iteration));
        Assert.Equal(Epochs - (skipEpochCompleted ? 1 : 0), recorded.Called.Count(c => c.Event == "EPOCH_COMPLETED"));
        Assert.DoesNotContain(recorded.Called, c => c.Event == "TERMINATE");
    }

    [Theory]
    [InlineData("STARTED")]
    [InlineData("EPOCH_STARTED")]
    public void TerminateEpoch_OnStartedOrEpochStarted_IsAnError(string at)
    {
        using var data = Data();
        var engine = new Engine((_, _) => null);
        engine.On(Events.All.Single(e => e.Name == at), e => e.TerminateEpoch());

        var e = Assert.Throws<InvalidOperationException>(() => engine.Run(data, maxEpochs: Epochs));
        Assert.Contains("TerminateEpoch", e.Message);
    }

    // test_engine.py test_engine_run_interrupt_resume: the second run continues the first without STARTED.
    [Fact]
    public void Interrupt_ReturnsAndTheNextRunContinuesWhereItStopped()
    {
        using var data = Data();
        var uninterrupted = new RecordedEngine();
        uninterrupted.Engine.Run(data, maxEpochs: Epochs);
        var recorded = new RecordedEngine((e, b) => b.Target[0].item<long>() == 2 * ((e.State.Iteration - 1) % Length) ? null : throw new InvalidOperationException("wrong batch"));
        var handle = recorded.Engine.On(Events.IterationCompleted.Once(7), e => e.Interrupt());

        var state = recorded.Engine.Run(data, maxEpochs: Epochs);
        Assert.Equal((2, 7L), (state.Epoch, state.Iteration));
        Assert.Equal((2, 7L, "INTERRUPT"), recorded.Called[^1]);
        handle.Dispose();
        recorded.Engine.Run(data, maxEpochs: Epochs);

        Assert.Equal(uninterrupted.Called, recorded.Called.Where(c => c.Event != "INTERRUPT"));
    }

    // test_engine.py test_terminate_stops_run_mid_epoch: a later run starts the next epoch with fresh data.
    [Fact]
    public void Run_AfterTerminate_ContinuesWithTheNextEpoch()
    {
        using var data = Data();
        var engine = new Engine((_, _) => null);
        var handle = engine.On(Events.IterationStarted.Once(8), e => e.Terminate());
        Assert.Equal((2, 8L), (engine.Run(data, maxEpochs: Epochs).Epoch, engine.State.Iteration));
        handle.Dispose();
        var firstTargets = new List<long>();
        engine.On(Events.IterationStarted, e => firstTargets.Add(e.State.Batch!.Target[0].item<long>()));

        var state = engine.Run(data, maxEpochs: Epochs);

        Assert.Equal((3, 13L), (state.Epoch, state.Iteration));
        Assert.Equal(new long[] { 0, 2, 4, 6, 8 }, firstTargets);
    }

    [Fact]
    public void Run_WithMaxIters_StopsMidEpochWithTerminate_AndEpochLengthShortensEpochs()
    {
        using var data = Data();
        var recorded = new RecordedEngine();
        var state = recorded.Engine.Run(data, maxIters: 7);
        // engine.py _run_once_on_dataset_as_gen: at max_iters the run terminates (TERMINATE, COMPLETED).
        Assert.Equal((2, 7L, (int?)null, (long?)7), (state.Epoch, state.Iteration, state.MaxEpochs, state.MaxIters));
        Assert.Equal(["ITERATION_COMPLETED", "TERMINATE", "COMPLETED"], recorded.Called[^3..].Select(c => c.Event));

        var epochs = new List<(int, long)>();
        var shorter = new Engine((_, _) => null);
        shorter.On(Events.EpochCompleted, e => epochs.Add((e.State.Epoch, e.State.Iteration)));
        shorter.Run(data, maxEpochs: 3, epochLength: 2);
        Assert.Equal([(1, 2L), (2, 4L), (3, 6L)], epochs);
    }

    [Fact]
    public void Run_OnDataWithoutALength_LearnsTheEpochLengthFromTheFirstPass()
    {
        using var loader = Data();
        var engine = new Engine((_, _) => null);
        var state = engine.Run(loader.Epoch(0), maxEpochs: 1);
        Assert.Equal((5, 5L), (state.EpochLength, state.Iteration));
        var endless = new Engine((_, _) => null).Run(Forever(loader), maxEpochs: 2, epochLength: 5);
        Assert.Equal((2, 10L), (endless.Epoch, endless.Iteration));

        static IEnumerable<Unified.Core.Data.Batch> Forever(Unified.Core.Data.IBatchLoader loader)
        {
            for (int pass = 0; ; pass++)
                foreach (var batch in loader.Epoch(pass)) yield return batch;
        }
    }

    [Fact]
    public void BadRunArguments_AreRejectedBeforeAnyWork()
    {
        using var data = Data();
        var engine = new Engine((_, _) => null);
        Assert.Contains("mutually exclusive", Assert.Throws<ArgumentException>(() => engine.Run(data, maxEpochs: 2, maxIters: 3)).Message);
        Assert.Contains("larger than the data's 5", Assert.Throws<ArgumentOutOfRangeException>(() => engine.Run(data, epochLength: 6)).Message);
        Assert.Contains("no batches", Assert.Throws<ArgumentException>(() => engine.Run(new EmptyLoader())).Message);
        Assert.Contains("no batches", Assert.Throws<ArgumentException>(() => engine.Run(Array.Empty<Unified.Core.Data.Batch>())).Message);
    }

    [Fact]
    public void Handlers_AreRemovableByHandleOrByDelegate()
    {
        var engine = new Engine((_, _) => null);
        Action<Engine> handler = _ => { };
        var handle = engine.On(Events.EpochCompleted | Events.Completed, handler);
        Assert.True(engine.HasEventHandler(handler));
        Assert.True(engine.HasEventHandler(handler, Events.Completed));
        handle.Dispose();
        Assert.False(engine.HasEventHandler(handler));

        engine.AddEventHandler(Events.Completed.Once(1), handler);
        engine.RemoveEventHandler(handler, Events.Completed);
        Assert.False(engine.HasHandlers(Events.Completed));
        Assert.Throws<ArgumentException>(() => engine.RemoveEventHandler(handler, Events.Completed));
    }

    sealed class EmptyLoader : Unified.Core.Data.IBatchLoader
    {
        public int Count => 0;

        public int SampleCount => 0;

        public IEnumerable<Unified.Core.Data.Batch> Epoch(int epoch, int startBatch = 0) => [];
    }
}
