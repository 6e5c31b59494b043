namespace Unified.Hosting.Tests.Scanned;

/// <summary>What the scanned callback and handler saw; registered by hand as a singleton (scanning does not pick it up).</summary>
public sealed class Calls
{
    int callbackBatches, handlerIterations;

    /// <summary>Training batches the Lightning callback saw.</summary>
    public int CallbackBatches => Volatile.Read(ref callbackBatches);

    /// <summary>Iterations the Ignite handler saw.</summary>
    public int HandlerIterations => Volatile.Read(ref handlerIterations);

    /// <summary>Called at every step with the global step count; a test may stop the host there.</summary>
    public Action<int>? OnStep { get; set; }

    internal void CallbackBatch()
    {
        int count = Interlocked.Increment(ref callbackBatches);
        OnStep?.Invoke(count);
    }

    internal void HandlerIteration()
    {
        int count = Interlocked.Increment(ref handlerIterations);
        OnStep?.Invoke(count);
    }
}
