using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Reads metric values of the types <see cref="State.Metrics"/> holds as numbers.</summary>
internal static class MetricValues
{
    public static double ToDouble(string name, object value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        Tensor { } t when t.numel() == 1 => Read(t),
        _ => throw new InvalidCastException($"Metric '{name}' is a {Describe(value)}, not a number; read it from State.Metrics and convert it yourself."),
    };

    public static bool IsScalar(object? value) => value is double or float or int or long || value is Tensor { } t && t.numel() == 1;

    public static string Describe(object? value) => value switch
    {
        null => "null",
        Tensor t => $"tensor of shape [{string.Join(", ", t.shape)}]",
        _ => value.GetType().Name,
    };

    static double Read(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to_type(ScalarType.Float64).cpu().item<double>();
    }
}
