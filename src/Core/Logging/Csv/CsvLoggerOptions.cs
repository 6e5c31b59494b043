using Microsoft.Extensions.Logging;

namespace Unified.Core.Logging.Csv;

/// <summary>Where and how a <see cref="CsvLogger"/> writes, as the arguments of Lightning's <c>CSVLogger</c>.</summary>
public sealed class CsvLoggerOptions
{
    /// <summary>Root folder of all runs (Lightning's <c>save_dir</c>); default the current folder.</summary>
    public string SaveDir { get; set; } = ".";

    /// <summary>Experiment folder under <see cref="SaveDir"/> (default <c>lightning_logs</c>); null or empty for none.</summary>
    public string? Name { get; set; } = "lightning_logs";

    /// <summary>Run folder name; null picks the next free <c>version_N</c>; empty writes straight into <see cref="SaveDir"/>/<see cref="Name"/>.</summary>
    public string? Version { get; set; }

    /// <summary>Put before every metric key, joined with <c>-</c> (Lightning's <c>prefix</c>).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Rows are written to disk every this many steps (on the step number, as Lightning), at every flush and at the end.</summary>
    public int FlushLogsEveryNSteps { get; set; } = 100;

    /// <summary>Where warnings go; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
