using Unified.Core.Data;

namespace Unified.Cli.Bench;

/// <summary>The first <paramref name="count"/> batches of each epoch of <paramref name="loader"/> (for <c>bench --quick</c>).</summary>
sealed class FirstBatches(IBatchLoader loader, int count) : IBatchLoader
{
    public int Count => Math.Min(count, loader.Count);

    public int SampleCount => (int)Math.Min(loader.SampleCount, (long)Count * (loader.SampleCount / Math.Max(1, loader.Count)));

    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0) => loader.Epoch(epoch, startBatch).Take(Count - startBatch);
}
