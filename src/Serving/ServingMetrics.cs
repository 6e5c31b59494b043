using Prometheus;

namespace Unified.Serving;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (so that two hosts in one process do not share counts):
/// requests by endpoint and status, request latency, rows per inference, errors by kind, and requests in flight.
/// </summary>
public sealed class ServingMetrics
{
    readonly Counter requests, errors;
    readonly Histogram latency, batchSize;
    readonly Gauge inFlight;

    /// <summary>Creates the metrics.</summary>
    public ServingMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        requests = factory.CreateCounter("unified_serving_requests_total", "HTTP requests answered, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        errors = factory.CreateCounter("unified_serving_errors_total", "Requests answered with an error, by kind (a problem type, or 'inference').",
            new CounterConfiguration { LabelNames = ["kind"] });
        latency = factory.CreateHistogram("unified_serving_request_duration_seconds", "Time from request to response, by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.00025, 2, 16) });
        batchSize = factory.CreateHistogram("unified_serving_batch_size", "Rows per inference (micro-batches gather concurrent requests).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 11) });
        inFlight = factory.CreateGauge("unified_serving_requests_in_flight", "Prediction requests being answered now.");
    }

    /// <summary>The registry the metrics live in.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>Counts a prediction request as in flight until the returned handle is disposed.</summary>
    public IDisposable TrackInFlight() => inFlight.TrackInProgress();

    /// <summary>Records one answered request.</summary>
    public void ObserveRequest(string endpoint, int status, TimeSpan elapsed)
    {
        requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        latency.WithLabels(endpoint).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Records an error of <paramref name="kind"/>.</summary>
    public void ObserveError(string kind) => errors.WithLabels(kind).Inc();

    /// <summary>Records the rows of one inference.</summary>
    public void ObserveBatch(int rows) => batchSize.Observe(rows);

    /// <summary>Writes every metric in Prometheus' text exposition format.</summary>
    public Task WriteAsync(Stream stream, CancellationToken cancel) => Registry.CollectAndExportAsTextAsync(stream, cancel);
}
