using System.Text.Json;
using System.Text.Json.Serialization;

namespace Unified.Cli.Fit;

/// <summary>
/// The result of <c>unified fit</c>, printed as the last line with <c>--json</c> (DESIGN.md's contract);
/// <c>first_step_seconds</c> is the time from process start to the end of the first optimiser step (null when none ran).
/// </summary>
public sealed record FitReport(
    string Framework,
    string Model,
    string Precision,
    int Devices,
    int Epochs,
    long Steps,
    double TrainLoss,
    double ValLoss,
    double ValAccuracy,
    double Seconds,
    double SamplesPerSecond,
    string WeightsSha256,
    string Checkpoint,
    string RunDir,
    double PeakRssMb,
    IReadOnlyList<EpochMemory> EpochMemory,
    long Seed,
    int BatchSize,
    double Lr,
    double? FirstStepSeconds)
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>One line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);
}
