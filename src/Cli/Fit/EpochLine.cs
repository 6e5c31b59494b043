using System.Globalization;
using Unified.Core.Diagnostics;
using Unified.Core.Training;

namespace Unified.Cli.Fit;

/// <summary>The one-line summary of an epoch that both displays print.</summary>
public static class EpochLine
{
    /// <summary>"epoch 1/3  train_loss 0.3120  val_loss …  2140 samples/s  rss 310 MB (peak 320 MB)".</summary>
    public static string Format(EpochResult epoch, int maxEpochs, double samplesPerSecond)
    {
        var metrics = string.Join("  ", epoch.Metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch.Epoch + 1}/{maxEpochs}  {metrics}  {samplesPerSecond:F0} samples/s  rss {ProcessMemory.CurrentRssMb():F0} MB (peak {ProcessMemory.PeakRssMb():F0} MB)");
    }
}
