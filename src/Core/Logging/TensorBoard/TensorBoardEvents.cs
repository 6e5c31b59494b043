namespace Unified.Core.Logging.TensorBoard;

/// <summary>
/// Encodes the <c>Event</c> protos TensorBoard reads (field numbers from <c>tensorboard/compat/proto/event.proto</c>,
/// <c>summary.proto</c>, <c>histogram.proto</c> and the hparams plugin's <c>plugin_data.proto</c> / <c>api.proto</c>).
/// </summary>
internal static class TensorBoardEvents
{
    /// <summary>The version every event file starts with.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>Tags and plugin name of the hparams plugin (its <c>metadata.py</c>).</summary>
    public const string ExperimentTag = "_hparams_/experiment", SessionStartTag = "_hparams_/session_start_info",
        SessionEndTag = "_hparams_/session_end_info", HparamsPlugin = "hparams";

    /// <summary>hparams <c>Status</c> values.</summary>
    public const int StatusSuccess = 1, StatusFailure = 2;

    // Event: wall_time = 1, step = 2, file_version = 3, summary = 5.
    public static byte[] Version(double wallTime) =>
        new ProtoWriter().Double(1, wallTime).String(3, FileVersion).ToArray();

    /// <summary>
    /// What <c>SummaryWriter(purge_step=step)</c> writes first: a <c>file_version</c> event and a
    /// <c>SessionLog{START}</c> at <paramref name="step"/>, on which TensorBoard discards the events of earlier files
    /// with that step or a later one (orphans of an interrupted run). Event.session_log = 7, SessionLog.status = 1 (START = 1).
    /// </summary>
    public static IEnumerable<byte[]> Purge(double wallTime, long step) =>
    [
        new ProtoWriter().Double(1, wallTime).Int64(2, step).String(3, FileVersion).ToArray(),
        new ProtoWriter().Double(1, wallTime).Int64(2, step).Message(7, log => log.Int64(1, 1)).ToArray(),
    ];

    /// <summary>A scalar as <c>add_scalar</c> writes it: <c>Summary.Value{tag, simple_value}</c>.</summary>
    public static byte[] Scalar(double wallTime, long step, string tag, float value) =>
        Event(wallTime, step, v => v.String(1, tag).Float(2, value));

    /// <summary>A histogram as <c>add_histogram</c> writes it: <c>Summary.Value{tag, histo}</c>.</summary>
    public static byte[] Histogram(double wallTime, long step, string tag, HistogramValues h) =>
        Event(wallTime, step, v => v.String(1, tag).Message(5, histo => histo
            .Double(1, h.Min).Double(2, h.Max).Double(3, h.Count).Double(4, h.Sum).Double(5, h.SumSquares)
            .PackedDoubles(6, h.BucketLimits).PackedDoubles(7, h.BucketCounts)));

    /// <summary>
    /// The hparams plugin's experiment summary (PyTorch's <c>hparams()</c>): every hyper-parameter with its type and
    /// every metric name the HParams tab should show.
    /// </summary>
    public static byte[] Experiment(double wallTime, IReadOnlyList<KeyValuePair<string, object?>> hparams, IEnumerable<string> metrics) =>
        Plugin(wallTime, ExperimentTag, data => data.Message(2, experiment =>
        {
            foreach (var (name, value) in hparams)
                if (value is not null)
                    experiment.Message(4, info => info.String(1, name).Int64(4, DataType(value)));
            foreach (string metric in metrics)
                experiment.Message(5, info => info.Message(1, metricName => metricName.String(2, metric)));
        }));

    /// <summary>The session start: the hyper-parameter values (a <c>map&lt;string, google.protobuf.Value&gt;</c>) and start time.</summary>
    public static byte[] SessionStart(double wallTime, IReadOnlyList<KeyValuePair<string, object?>> hparams) =>
        Plugin(wallTime, SessionStartTag, data => data.Message(3, start =>
        {
            foreach (var (name, value) in hparams)
            {
                if (value is null) continue;
                start.Message(1, entry => entry.String(1, name).Message(2, v =>
                {
                    // google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4.
                    if (value is bool b) v.Bool(4, b);
                    else if (HyperparameterValues.AsNumber(value) is double d) v.Double(2, d, always: true);
                    else v.String(3, HyperparameterValues.AsText(value), always: true);
                }));
            }
            start.Double(5, wallTime);
        }));

    /// <summary>The session end: how the run ended and when.</summary>
    public static byte[] SessionEnd(double wallTime, int status) =>
        Plugin(wallTime, SessionEndTag, data => data.Message(4, end => end.Int64(1, status).Double(2, wallTime)));

    // DataType: STRING = 1, BOOL = 2, FLOAT64 = 3.
    static int DataType(object value) => value is bool ? 2 : HyperparameterValues.AsNumber(value) is not null ? 3 : 1;

    // Summary.Value{tag = 1, metadata = 9 {plugin_data = 1 {plugin_name = 1, content = 2}}}; HParamsPluginData.version = 0.
    static byte[] Plugin(double wallTime, string tag, Action<ProtoWriter> pluginData)
    {
        var content = new ProtoWriter();
        pluginData(content);
        return Event(wallTime, 0, v => v.String(1, tag).Message(9, metadata => metadata.Message(1, plugin => plugin
            .String(1, HparamsPlugin).Bytes(2, content.WrittenSpan))));
    }

    static byte[] Event(double wallTime, long step, Action<ProtoWriter> value) =>
        new ProtoWriter().Double(1, wallTime).Int64(2, step).Message(5, summary => summary.Message(1, value)).ToArray();
}
