using static TorchSharp.torch;
using Unified.Core.Diagnostics;

namespace Unified.Cli.Fit;

/// <summary>Memory after an epoch: resident set, managed heap and live tensors (all threads) (a leak shows as growth).</summary>
public sealed record EpochMemory(int Epoch, double RssMb, double PeakRssMb, double ManagedMb, long LiveTensors)
{
    /// <summary>The values now, after epoch <paramref name="epoch"/> (1-based).</summary>
    public static EpochMemory Now(int epoch) => new(epoch, Math.Round(ProcessMemory.CurrentRssMb(), 1), Math.Round(ProcessMemory.PeakRssMb(), 1),
        Math.Round(GC.GetTotalMemory(forceFullCollection: false) / 1048576.0, 1), Tensor.TotalCount);
}
