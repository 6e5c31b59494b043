namespace Unified.Cli.Bench;

/// <summary>
/// The result of <c>unified bench handlers</c>: what a progress bar, a running average of the loss and a per-epoch
/// checkpoint cost the Ignite trainer, from <c>HandlersTimeProfiler</c> (milliseconds per iteration, medians over rounds).
/// </summary>
/// <param name="IterationHandlersMs">The handlers of the events fired every iteration, per iteration (the profiler's overhead).</param>
/// <param name="HandlersMsPerIteration">Every handler of every event (the per-epoch checkpoint included), per iteration.</param>
/// <param name="ByHandler">Per attached handler (progress_bar, running_average, checkpoint, trainer), every event, per iteration.</param>
/// <param name="CheckpointMsPerSave">One checkpoint save at <c>EPOCH_COMPLETED</c>.</param>
/// <param name="EpochSecondsWithoutHandlers">The same epoch with none of these handlers and no profiler.</param>
/// <param name="EpochSecondsWithHandlers">The epoch with the handlers and the profiler.</param>
/// <param name="Handlers">Every (event, handler) the profiler timed.</param>
/// <param name="Rounds">Timed rounds (after one warm-up round).</param>
/// <param name="Iterations">Iterations per epoch.</param>
/// <param name="BatchSize">Samples per batch.</param>
/// <param name="Threads">libtorch threads.</param>
/// <param name="LoadAverage">The machine's load average at the start and at the end.</param>
/// <param name="AsyncWrites">Whether the checkpoint was written in the background (the save then costs the training thread a snapshot).</param>
public sealed record HandlersReport(
    double IterationHandlersMs,
    double HandlersMsPerIteration,
    IReadOnlyDictionary<string, double> ByHandler,
    double CheckpointMsPerSave,
    double EpochSecondsWithoutHandlers,
    double EpochSecondsWithHandlers,
    IReadOnlyList<HandlerTiming> Handlers,
    int Rounds,
    int Iterations,
    int BatchSize,
    int Threads,
    string LoadAverage,
    bool AsyncWrites);
