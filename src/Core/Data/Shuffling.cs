using Unified.Core.Runtime;
using static TorchSharp.torch;

namespace Unified.Core.Data;

/// <summary>The per-epoch sample order every loader and sampler shares, so that sharded and unsharded runs agree.</summary>
internal static class Shuffling
{
    /// <summary>A permutation of 0..<paramref name="count"/>-1 from a generator seeded with (<paramref name="seed"/>, <paramref name="epoch"/>).</summary>
    public static Tensor Permutation(int count, long seed, int epoch)
    {
        using var generator = new Generator((ulong)Seed.Derive(seed, epoch));
        return randperm(count, generator: generator);
    }
}
