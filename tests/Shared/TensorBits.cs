using static TorchSharp.torch;

namespace Unified.Testing;

/// <summary>Exact tensor comparison: same dtype, same shape, same bytes.</summary>
public static class TensorBits
{
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are bitwise identical.</summary>
    public static bool Equal(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var x = a.detach().cpu().contiguous();
        using var y = b.detach().cpu().contiguous();
        return x.bytes.SequenceEqual(y.bytes);
    }
}
