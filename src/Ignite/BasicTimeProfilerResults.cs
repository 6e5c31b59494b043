namespace Unified.Ignite;

/// <summary>What <see cref="BasicTimeProfiler.GetResults"/> returns, as Ignite's <c>get_results()</c>: seconds per kind of work.</summary>
/// <param name="Processing">The process function per iteration (<c>processing_stats</c>).</param>
/// <param name="Dataflow">Fetching each batch, its batch-event handlers included (<c>dataflow_stats</c>).</param>
/// <param name="EventHandlers">The handlers' time per event name (<c>event_handlers_stats</c>), e.g. <c>ITERATION_COMPLETED</c>.</param>
/// <param name="EventHandlersTotal">All handlers' time (<c>event_handlers_stats["total_time"]</c>).</param>
/// <param name="EventHandlerNames">The handlers per event name (<c>event_handlers_names</c>), the profiler's own left out.</param>
public sealed record BasicTimeProfilerResults(
    TimeStats Processing,
    TimeStats Dataflow,
    IReadOnlyDictionary<string, TimeStats> EventHandlers,
    double EventHandlersTotal,
    IReadOnlyDictionary<string, IReadOnlyList<string>> EventHandlerNames);
