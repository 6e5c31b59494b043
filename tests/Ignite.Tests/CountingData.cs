using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>Unshuffled batches over samples 0..n-1 (input [i], target i), so no test here draws from a random generator.</summary>
internal static class CountingData
{
    public static TensorDataLoader Loader(int samples, int batchSize)
    {
        var targets = arange(samples, ScalarType.Int64);
        return new TensorDataLoader(targets.to_type(ScalarType.Float32).unsqueeze(1), targets, batchSize, shuffle: false, seed: 0);
    }
}
