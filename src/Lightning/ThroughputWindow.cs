namespace Unified.Lightning;

/// <summary>
/// Lightning Fabric's <c>Throughput</c> (fabric/utilities/throughput.py) for one stage: running totals of time, batches
/// and samples, and rates over the last <c>windowSize</c> updates once the window is full.
/// </summary>
internal sealed class ThroughputWindow(int windowSize, string separator)
{
    readonly Queue<(double Time, long Batches, long Samples)> window = new();

    public long Batches { get; private set; }

    public long Samples { get; private set; }

    public void Reset()
    {
        window.Clear();
        (Batches, Samples) = (0, 0);
    }

    public void Update(double elapsedSeconds, int batchSamples)
    {
        Batches++;
        Samples += batchSamples;
        window.Enqueue((elapsedSeconds, Batches, Samples));
        if (window.Count > windowSize) window.Dequeue();
    }

    public Dictionary<string, double> Compute(string prefix)
    {
        var last = window.Last();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [prefix + separator + "time"] = last.Time,
            [prefix + separator + "batches"] = last.Batches,
            [prefix + separator + "samples"] = last.Samples,
        };
        if (window.Count == windowSize)
        {
            var first = window.Peek();
            double elapsed = last.Time - first.Time;
            metrics[$"{prefix}{separator}device{separator}batches_per_sec"] = (last.Batches - first.Batches) / elapsed;
            metrics[$"{prefix}{separator}device{separator}samples_per_sec"] = (last.Samples - first.Samples) / elapsed;
        }
        return metrics;
    }
}
