using System.Globalization;
using Unified.Core.Diagnostics;
using Unified.Core.Training;

namespace Unified.Core.Logging;

/// <summary>The one-line summary of an epoch that both displays print.</summary>
public static class EpochLine
{
    /// <summary>
    /// "epoch 1/3  train_loss 0.3120  val_loss …  2140 samples/s  eta 0:00:08  rss 310 MB (peak 320 MB)": the metrics
    /// named in <paramref name="only"/> (all when null), and the time left when <paramref name="eta"/> is given.
    /// </summary>
    public static string Format(EpochResult epoch, int maxEpochs, double samplesPerSecond, IReadOnlyCollection<string>? only = null, TimeSpan? eta = null)
    {
        var shown = only is null ? epoch.Metrics : epoch.Metrics.Where(kv => only.Contains(kv.Key));
        var metrics = string.Join("  ", shown.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}")));
        string left = eta is { } t ? string.Create(CultureInfo.InvariantCulture, $"  eta {(int)t.TotalHours}:{t:mm\\:ss}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch.Epoch + 1}/{maxEpochs}  {metrics}  {samplesPerSecond:F0} samples/s{left}  rss {ProcessMemory.CurrentRssMb():F0} MB (peak {ProcessMemory.PeakRssMb():F0} MB)");
    }

    /// <summary>The time the remaining epochs take at the pace so far (null after the last epoch).</summary>
    public static TimeSpan? Eta(TimeSpan elapsed, int epochsDone, int maxEpochs) =>
        epochsDone >= maxEpochs || epochsDone <= 0 ? null : elapsed / epochsDone * (maxEpochs - epochsDone);
}
