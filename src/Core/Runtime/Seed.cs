using TorchSharp;

namespace Unified.Core.Runtime;

/// <summary>Seeds every random generator that training uses, as Lightning's <c>seed_everything</c>.</summary>
public static class Seed
{
    /// <summary>The seed of the last <see cref="Everything"/> call, or null.</summary>
    public static long? Current { get; private set; }

    /// <summary>Seeds libtorch's CPU generator and, where CUDA is present, every CUDA generator.</summary>
    /// <example><code>Seed.Everything(42); var model = new DigitsMlp();</code></example>
    public static void Everything(long seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
        Current = seed;
    }

    /// <summary>A well-mixed 64-bit seed from a base seed and a stream index (SplitMix64), for per-epoch generators.</summary>
    public static long Derive(long seed, long stream)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(stream + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }
}
