using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Unified.Core.Telemetry;

/// <summary>
/// The training loop's standard .NET telemetry, emitted by both front-ends: a <see cref="Meter"/> and an
/// <see cref="ActivitySource"/>, both named <c>Unified.Training</c>, that OpenTelemetry, <c>dotnet-counters</c> and
/// <c>dotnet-trace</c> read. Instruments cost nothing measurable while nobody listens.
/// </summary>
/// <example><code>
/// dotnet-counters monitor --counters Unified.Training -- unified fit
/// builder.Services.AddOpenTelemetry().WithMetrics(m =&gt; m.AddMeter(TrainingTelemetry.Name)).WithTracing(t =&gt; t.AddSource(TrainingTelemetry.Name));
/// </code></example>
public static class TrainingTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Unified.Training";

    /// <summary>Counter of optimiser steps taken (unit <c>{step}</c>).</summary>
    public const string StepsInstrument = "unified.training.steps";

    /// <summary>Counter of training samples processed (unit <c>{sample}</c>).</summary>
    public const string SamplesInstrument = "unified.training.samples";

    /// <summary>Histogram of the host time of one training step, in seconds (on an accelerator: dispatch time, no sync is added).</summary>
    public const string StepDurationInstrument = "unified.training.step.duration";

    /// <summary>Gauge of the epoch's sample-weighted mean training loss, recorded once per epoch.</summary>
    public const string LossInstrument = "unified.training.loss";

    /// <summary>Gauge of the first parameter group's learning rate, recorded once per epoch.</summary>
    public const string LearningRateInstrument = "unified.training.learning_rate";

    /// <summary>The span of a whole fit.</summary>
    public const string FitActivity = "fit";

    /// <summary>The span of one training epoch (its validation included).</summary>
    public const string EpochActivity = "epoch";

    /// <summary>The span of one validation pass.</summary>
    public const string ValidationActivity = "validation";

    /// <summary>Tag naming the front-end (<c>lightning</c>, <c>ignite</c>) on every measurement and span.</summary>
    public const string FrameworkTag = "unified.framework";

    static readonly string? Version = typeof(TrainingTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>The <c>Unified.Training</c> meter.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>The <c>Unified.Training</c> activity source (spans <c>fit</c>, <c>epoch</c>, <c>validation</c>).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, Version);

    internal static Counter<long> Steps { get; } = Meter.CreateCounter<long>(StepsInstrument, "{step}", "Optimiser steps taken.");

    internal static Counter<long> Samples { get; } = Meter.CreateCounter<long>(SamplesInstrument, "{sample}", "Training samples processed.");

    internal static Histogram<double> StepDuration { get; } = Meter.CreateHistogram<double>(StepDurationInstrument, "s", "Host time of one training step.");

    internal static Gauge<double> Loss { get; } = Meter.CreateGauge<double>(LossInstrument, null, "Sample-weighted mean training loss of the last epoch.");

    internal static Gauge<double> LearningRate { get; } = Meter.CreateGauge<double>(LearningRateInstrument, null, "Learning rate of the first parameter group at the end of the last epoch.");
}
