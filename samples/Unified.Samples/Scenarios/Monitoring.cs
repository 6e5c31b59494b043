using OpenTelemetry;
using OpenTelemetry.Metrics;
using Unified.Adapters;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Telemetry;

namespace Unified.Samples.Scenarios;

/// <summary>
/// Monitoring push: the Unified.Training meter (steps, samples, step duration, loss, learning rate) collected by the
/// OpenTelemetry SDK. Here an in-memory exporter prints what a push exporter (OTLP to a collector, Prometheus) would send.
/// </summary>
public static class Monitoring
{
    public static int Run(SampleOptions options)
    {
        var exported = new List<Metric>();
        using (var meters = Sdk.CreateMeterProviderBuilder().AddMeter(TrainingTelemetry.Name).AddInMemoryExporter(exported).Build())
        {
            using var data = Digits.Load();
            Seed.Everything(42);
            using var module = new ClassificationModule(new DigitsMlp(), learningRate: 1e-3);
            new UnifiedTrainer("ignite", new UnifiedTrainerOptions { MaxEpochs = 1, MaxSteps = options.Smoke ? 8 : null, Accelerator = "cpu" }).Fit(module, data);
            meters.ForceFlush();
        }
        foreach (var metric in exported.GroupBy(m => m.Name).Select(g => g.Last()))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                string value = metric.MetricType switch
                {
                    MetricType.LongSum => point.GetSumLong().ToString(),
                    MetricType.DoubleSum => point.GetSumDouble().ToString("G6"),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble().ToString("G6"),
                    MetricType.LongGauge => point.GetGaugeLastValueLong().ToString(),
                    MetricType.Histogram => $"count {point.GetHistogramCount()}, sum {point.GetHistogramSum():G6}",
                    _ => metric.MetricType.ToString(),
                };
                string tags = string.Join(",", EnumerateTags(point));
                Console.WriteLine($"{metric.Name} {{{tags}}} = {value} {metric.Unit}");
            }
        }
        return exported.Any(m => m.Name == "unified.training.steps") ? 0 : 1;
    }

    static List<string> EnumerateTags(MetricPoint point)
    {
        var tags = new List<string>();
        foreach (var tag in point.Tags) tags.Add($"{tag.Key}={tag.Value}");
        return tags;
    }
}
