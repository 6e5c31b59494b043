namespace Unified.Core.Data;

/// <summary>Re-iterable batches for one split; each epoch's order is a function of (seed, epoch), so runs can resume.</summary>
public interface IBatchLoader
{
    /// <summary>Batches per epoch.</summary>
    int Count { get; }

    /// <summary>Samples per epoch.</summary>
    int SampleCount { get; }

    /// <summary>The batches of <paramref name="epoch"/> (0-based), starting at <paramref name="startBatch"/>.</summary>
    IEnumerable<Batch> Epoch(int epoch, int startBatch = 0);
}
