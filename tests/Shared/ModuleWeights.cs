using static TorchSharp.torch;

namespace Unified.Testing;

/// <summary>Compares the weights of two modules.</summary>
public static class ModuleWeights
{
    /// <summary>True when both state dicts have the same names, shapes, dtypes and bitwise-equal values.</summary>
    public static bool BitwiseEqual(nn.Module a, nn.Module b)
    {
        var left = a.state_dict();
        var right = b.state_dict();
        if (!left.Keys.SequenceEqual(right.Keys)) return false;
        foreach (var (name, tensor) in left)
        {
            var other = right[name];
            if (tensor.dtype != other.dtype || !tensor.shape.SequenceEqual(other.shape)) return false;
            // Byte comparison, so that even -0.0 vs 0.0 or differing NaN payloads count as different.
            using var x = tensor.detach().cpu().contiguous();
            using var y = other.detach().cpu().contiguous();
            if (!x.bytes.SequenceEqual(y.bytes)) return false;
        }
        return true;
    }

    /// <summary>The largest absolute element difference over all state-dict entries (names must match).</summary>
    public static double MaxAbsDifference(nn.Module a, nn.Module b)
    {
        var left = a.state_dict();
        var right = b.state_dict();
        if (!left.Keys.SequenceEqual(right.Keys)) throw new ArgumentException("The modules have different state-dict names.");
        double max = 0;
        foreach (var (name, tensor) in left)
        {
            using var scope = NewDisposeScope();
            var diff = (tensor.detach().to_type(ScalarType.Float64) - right[name].detach().to_type(ScalarType.Float64)).abs().max();
            max = Math.Max(max, diff.item<double>());
        }
        return max;
    }
}
