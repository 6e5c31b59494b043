namespace Unified.Core.Logging.TensorBoard;

/// <summary>Where and how a <see cref="TensorBoardLogger"/> writes, as the arguments of Lightning's <c>TensorBoardLogger</c>.</summary>
public sealed class TensorBoardLoggerOptions
{
    /// <summary>Root folder of all runs (Lightning's <c>save_dir</c>); default the current folder.</summary>
    public string SaveDir { get; set; } = ".";

    /// <summary>Experiment folder under <see cref="SaveDir"/> (default <c>lightning_logs</c>); null or empty for none.</summary>
    public string? Name { get; set; } = "lightning_logs";

    /// <summary>Run folder name; null picks the next free <c>version_N</c>; empty writes straight into <see cref="SaveDir"/>/<see cref="Name"/>.</summary>
    public string? Version { get; set; }

    /// <summary>Optional folder under the run folder for the event file (Lightning's <c>sub_dir</c>).</summary>
    public string? SubDir { get; set; }

    /// <summary>Put before every metric tag, joined with <c>-</c> (Lightning's <c>prefix</c>).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>
    /// Whether logging hyper-parameters also logs the placeholder metric <c>hp_metric</c> = -1 at step 0, so that the
    /// HParams tab has a column to show (Lightning's <c>default_hp_metric</c>, default true).
    /// </summary>
    public bool DefaultHpMetric { get; set; } = true;

    /// <summary>Metric tags to declare in the HParams tab besides <c>hp_metric</c> (e.g. <c>val_loss</c>).</summary>
    public IList<string> HparamsMetrics { get; } = new List<string>();

    /// <summary>Appended to the event file's name (PyTorch's <c>filename_suffix</c>).</summary>
    public string FilenameSuffix { get; set; } = "";
}
