using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class RemovableHandleTests
{
    [Fact]
    public void Dispose_RemovesTheHandler()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        var engine = new Engine((_, _) => null);
        int removed = 0, kept = 0;
        var handle = engine.On(Events.IterationCompleted, _ => removed++);
        engine.On(Events.IterationCompleted, _ => kept++);

        handle.Dispose();
        engine.Run(data, maxEpochs: 1);

        Assert.Equal(0, removed);
        Assert.Equal(2, kept);
    }

    [Fact]
    public void Dispose_Twice_IsHarmlessAndRemovesOnlyItsOwnHandler()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        var engine = new Engine((_, _) => null);
        int calls = 0;
        Action<Engine> handler = _ => calls++;
        var first = engine.On(Events.IterationCompleted, handler);
        engine.On(Events.IterationCompleted, handler);

        first.Dispose();
        first.Dispose();
        engine.Run(data, maxEpochs: 1);

        Assert.Equal(2, calls);
    }

    [Fact]
    public void HandlerRemovingItselfWhileTheEventFires_IsSafeAndFiresOnlyOnce()
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        int selfRemoving = 0, other = 0;
        RemovableHandle? handle = null;
        handle = engine.On(Events.IterationCompleted, _ =>
        {
            selfRemoving++;
            handle!.Dispose();
        });
        engine.On(Events.IterationCompleted, _ => other++);

        engine.Run(data, maxEpochs: 2);

        Assert.Equal(1, selfRemoving);
        Assert.Equal(8, other);
    }

    [Fact]
    public void HandlerRemovingAnotherWhileTheEventFires_StopsItFromTheNextOccurrence()
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        var fired = new List<long>();
        RemovableHandle? victim = null;
        engine.On(Events.IterationCompleted.Once(2), _ => victim!.Dispose());
        victim = engine.On(Events.IterationCompleted, e => fired.Add(e.State.Iteration));

        engine.Run(data, maxEpochs: 1);

        // Whether it still runs in the occurrence that removed it is the engine's choice; after that it must not.
        Assert.Equal(1, fired[0]);
        Assert.DoesNotContain(3L, fired);
        Assert.DoesNotContain(4L, fired);
    }

    [Fact]
    public void HandlerAddingAnotherWhileTheEventFires_TakesEffectFromTheNextOccurrence()
    {
        using var data = CountingData.Loader(samples: 8, batchSize: 2);
        var engine = new Engine((_, _) => null);
        var fired = new List<long>();
        engine.On(Events.IterationCompleted.Once(2), e => e.On(Events.IterationCompleted, x => fired.Add(x.State.Iteration)));

        engine.Run(data, maxEpochs: 1);

        Assert.Equal(new long[] { 3, 4 }, fired.Where(i => i > 2));
        Assert.DoesNotContain(1L, fired);
    }
}
