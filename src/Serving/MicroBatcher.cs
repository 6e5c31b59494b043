using System.Diagnostics;
using System.Threading.Channels;

namespace Unified.Serving;

/// <summary>
/// Gathers concurrent requests into one inference: the first request of a batch waits at most
/// <see cref="ServingOptions.MaxBatchDelay"/> for others, up to <see cref="ServingOptions.MaxBatchSize"/> rows (a
/// request larger than that runs alone). One worker runs the batches; disposing it finishes every queued request first.
/// </summary>
public sealed class MicroBatcher : IAsyncDisposable
{
    sealed record Pending(float[] Data, int Rows, TaskCompletionSource<Scores> Done);

    readonly IPredictor predictor;
    readonly ServingMetrics metrics;
    readonly int maxRows;
    readonly TimeSpan maxDelay;
    readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly Task worker;

    /// <summary>Starts the worker.</summary>
    public MicroBatcher(IPredictor predictor, ServingMetrics metrics, int maxBatchSize, TimeSpan maxBatchDelay)
    {
        this.predictor = predictor;
        this.metrics = metrics;
        maxRows = maxBatchSize;
        maxDelay = maxBatchDelay;
        worker = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="rows"/> rows and completes with their scores when their batch has run.</summary>
    /// <exception cref="InvalidOperationException">The batcher is shutting down.</exception>
    public Task<Scores> SubmitAsync(float[] data, int rows)
    {
        var pending = new Pending(data, rows, new TaskCompletionSource<Scores>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending)) throw new InvalidOperationException("The server is shutting down and takes no new predictions.");
        return pending.Done.Task;
    }

    async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<Pending>();
        Pending? carried = null;
        Task<bool>? waiting = null;
        while (true)
        {
            if (carried is null && !reader.TryRead(out carried))
            {
                waiting ??= reader.WaitToReadAsync().AsTask();
                bool open = await waiting.ConfigureAwait(false);
                waiting = null;
                if (!open) return; // completed and drained
                continue;
            }
            batch.Add(carried);
            int rows = carried.Rows;
            carried = null;
            var clock = Stopwatch.StartNew();
            while (rows < maxRows)
            {
                if (reader.TryRead(out var next))
                {
                    if (rows + next.Rows > maxRows)
                    {
                        carried = next; // starts the next batch
                        break;
                    }
                    batch.Add(next);
                    rows += next.Rows;
                    continue;
                }
                var left = maxDelay - clock.Elapsed;
                if (left <= TimeSpan.Zero) break;
                // One outstanding wait at a time (a single reader), kept across batches when the delay ran out first.
                waiting ??= reader.WaitToReadAsync().AsTask();
                if (await Task.WhenAny(waiting, Task.Delay(left)).ConfigureAwait(false) != waiting) break;
                bool more = await waiting.ConfigureAwait(false);
                waiting = null;
                if (!more) break;
            }
            Run(batch, rows);
            batch.Clear();
        }
    }

    void Run(List<Pending> batch, int rows)
    {
        try
        {
            float[] data = batch.Count == 1 ? batch[0].Data : new float[batch.Sum(p => p.Data.Length)];
            if (batch.Count > 1)
            {
                int offset = 0;
                foreach (var p in batch)
                {
                    p.Data.CopyTo(data, offset);
                    offset += p.Data.Length;
                }
            }
            float[] scores = predictor.Predict(data, rows, out int classes);
            metrics.ObserveBatch(rows);
            int row = 0;
            foreach (var p in batch)
            {
                p.Done.SetResult(new Scores(scores.AsSpan(row * classes, p.Rows * classes).ToArray(), p.Rows, classes));
                row += p.Rows;
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Done.TrySetException(e);
        }
    }

    /// <summary>Stops taking requests, runs every queued one, then stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await worker.ConfigureAwait(false);
    }
}
