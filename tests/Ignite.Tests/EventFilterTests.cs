using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class EventFilterTests
{
    /// <summary>Runs 2 epochs of 4 iterations (or <paramref name="epochs"/>) and returns the counters at which the handler ran.</summary>
    static List<long> FiredAt(Event evt, int epochs = 2)
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        var fired = new List<long>();
        bool iterationEvent = evt.Kind is EventKind.IterationStarted or EventKind.IterationCompleted;
        engine.On(evt, e => fired.Add(iterationEvent ? e.State.Iteration : e.State.Epoch));
        engine.Run(data, epochs);
        return fired;
    }

    [Fact]
    public void Unfiltered_FiresOnEveryOccurrence()
    {
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, FiredAt(Events.IterationCompleted));
        Assert.Equal(new long[] { 1, 2, 3 }, FiredAt(Events.EpochCompleted, epochs: 3));
    }

    [Fact]
    public void Every_OnIterations_CountsIterationsAcrossEpochs()
    {
        Assert.Equal(new long[] { 3, 6 }, FiredAt(Events.IterationCompleted.Every(3)));
        Assert.Equal(new long[] { 2, 4, 6, 8 }, FiredAt(Events.IterationStarted.Every(2)));
    }

    [Fact]
    public void Every_OnEpochs_CountsEpochs()
    {
        Assert.Equal(new long[] { 2, 4 }, FiredAt(Events.EpochCompleted.Every(2), epochs: 5));
        Assert.Equal(new long[] { 3 }, FiredAt(Events.EpochStarted.Every(3), epochs: 5));
    }

    [Fact]
    public void Once_FiresOnlyOnThatOccurrence()
    {
        Assert.Equal(new long[] { 5 }, FiredAt(Events.IterationCompleted.Once(5)));
        Assert.Equal(new long[] { 2 }, FiredAt(Events.EpochStarted.Once(2), epochs: 4));
        Assert.Empty(FiredAt(Events.IterationCompleted.Once(100)));
    }

    [Fact]
    public void Before_FiresOnOccurrencesBelowN()
    {
        Assert.Equal(new long[] { 1, 2 }, FiredAt(Events.IterationCompleted.Before(3)));
        Assert.Equal(new long[] { 1, 2 }, FiredAt(Events.EpochCompleted.Before(3), epochs: 5));
    }

    [Fact]
    public void After_FiresOnOccurrencesAboveN()
    {
        Assert.Equal(new long[] { 7, 8 }, FiredAt(Events.IterationCompleted.After(6)));
        Assert.Equal(new long[] { 4, 5 }, FiredAt(Events.EpochCompleted.After(3), epochs: 5));
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, FiredAt(Events.IterationStarted.After(0)));
    }

    [Fact]
    public void Filter_UsesTheCustomPredicateWithEngineAndCount()
    {
        Assert.Equal(new long[] { 1, 4, 7 }, FiredAt(Events.IterationCompleted.Filter((_, count) => count % 3 == 1)));
        Assert.Equal(new long[] { 2, 6 }, FiredAt(Events.IterationCompleted.Filter((e, _) => e.State.EpochIteration == 2)));
        Assert.Equal(new long[] { 1, 3 }, FiredAt(Events.EpochStarted.Filter((_, epoch) => epoch % 2 == 1), epochs: 4));
    }

    [Fact]
    public void FilterOnStartedOrCompleted_SeesTheEpoch()
    {
        // ignite/engine/events.py State.event_to_attr maps STARTED and COMPLETED to "epoch".
        Assert.Equal(new long[] { 2 }, FiredAt(Events.Completed.Once(2)));
        Assert.Empty(FiredAt(Events.Completed.Once(1)));
        Assert.Empty(FiredAt(Events.Started.Once(1)));
    }

    [Fact]
    public void ChainingTwoFilters_Throws()
    {
        // ignite/engine/events.py CallableEventWithFilter.__call__: once, a custom filter, and every/before/after exclude each other.
        var e = Assert.Throws<ArgumentException>(() => Events.IterationCompleted.Every(2).Once(4));
        Assert.Contains("already has every=2", e.Message);
        Assert.Throws<ArgumentException>(() => Events.EpochCompleted.Filter((_, _) => true).After(1));
        Assert.Throws<ArgumentException>(() => Events.EpochCompleted.Every(2).Every(3));
    }

    [Fact]
    public void FilteringDoesNotChangeTheStandardEvent()
    {
        _ = Events.IterationCompleted.Every(2);

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, FiredAt(Events.IterationCompleted));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void NonPositiveCounts_AreRejected(int n)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Events.IterationCompleted.Every(n));
        Assert.Throws<ArgumentOutOfRangeException>(() => Events.IterationCompleted.Once(n));
        Assert.Throws<ArgumentOutOfRangeException>(() => Events.IterationCompleted.Before(n - 1));
    }

    [Fact]
    public void Or_RegistersTheHandlerOnEveryEventWithItsOwnFilter()
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        var fired = new List<string>();

        engine.On(Events.Started | Events.IterationCompleted.Every(3) | Events.EpochCompleted,
            e => fired.Add($"{e.State.Epoch}/{e.State.Iteration}"));
        engine.Run(data, maxEpochs: 2);

        Assert.Equal(new[] { "0/0", "1/3", "1/4", "2/6", "2/8" }, fired);
    }

    [Fact]
    public void Or_DisposingTheHandle_RemovesTheHandlerFromEveryEvent()
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        int calls = 0;

        var handle = engine.On(Events.Started | Events.EpochCompleted, _ => calls++);
        handle.Dispose();
        engine.Run(data, maxEpochs: 2);

        Assert.Equal(0, calls);
        Assert.False(engine.HasHandlers(EventKind.Started));
        Assert.False(engine.HasHandlers(EventKind.EpochCompleted));
    }
}
