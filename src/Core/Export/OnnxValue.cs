using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// A value flowing between modules in the graph being exported: its ONNX name and the shape and type it has for the
/// export's input sample (dimension 0 is the batch axis, which the exported model leaves dynamic).
/// </summary>
/// <param name="Name">The name of the graph value (a graph input or a node output).</param>
/// <param name="Shape">Its shape for the input sample, batch first.</param>
/// <param name="Type">Its element type.</param>
public sealed record OnnxValue(string Name, IReadOnlyList<long> Shape, ScalarType Type)
{
    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Count;
}
