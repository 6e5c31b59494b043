namespace Unified.Core.Export;

/// <summary>
/// One attribute of an ONNX node (<c>axis</c>, <c>kernel_shape</c>, <c>epsilon</c>...), made with the factory that
/// matches the attribute's ONNX type.
/// </summary>
/// <example><code>graph.Node("Softmax", [x.Name], OnnxAttribute.Int("axis", -1));</code></example>
public sealed class OnnxAttribute
{
    OnnxAttribute(string name, object value)
    {
        Name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("An ONNX attribute needs a name.", nameof(name)) : name;
        Value = value;
    }

    /// <summary>The attribute's name, as the operator's specification spells it.</summary>
    public string Name { get; }

    /// <summary>The value: a <see cref="long"/>, <see cref="float"/>, <see cref="string"/>, <c>long[]</c> or <c>float[]</c>.</summary>
    public object Value { get; }

    /// <summary>An <c>INT</c> attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, value);

    /// <summary>A <c>FLOAT</c> attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, value);

    /// <summary>A <c>STRING</c> attribute.</summary>
    public static OnnxAttribute String(string name, string value) => new(name, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>An <c>INTS</c> attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, values.ToArray());

    /// <summary>A <c>FLOATS</c> attribute.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, values.ToArray());
}
