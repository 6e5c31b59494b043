namespace Unified.Cli.Bench;

/// <summary>
/// The result of <c>unified bench</c> (DESIGN.md's keys: <c>mlp</c>, <c>cnn</c>, <c>step_overhead_us</c>,
/// <c>startup_seconds</c>, <c>peak_rss_ratio</c>, and <c>pytorch_seconds</c> / <c>pytorch_ratio</c> when Python has torch).
/// </summary>
public sealed record SuiteReport(
    FrontEndRatios Mlp,
    FrontEndRatios Cnn,
    StepOverhead StepOverheadUs,
    double StartupSeconds,
    double PeakRssRatio,
    PeakRss PeakRss,
    double? PytorchSeconds,
    double? PytorchRatio,
    PytorchComparison? Pytorch,
    string? PytorchSkipped,
    int Rounds,
    bool Quick,
    int Threads,
    string Machine,
    string LoadAverage);
