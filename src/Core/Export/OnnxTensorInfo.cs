namespace Unified.Core.Export;

/// <summary>A graph input or output of an exported model.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="DataType">The element type in PyTorch's spelling (<c>float32</c>, <c>int64</c>).</param>
/// <param name="Shape">The dimensions; <c>null</c> marks the dynamic batch axis.</param>
/// <param name="BatchAxis">The symbolic name of the dynamic dimension.</param>
public sealed record OnnxTensorInfo(string Name, string DataType, IReadOnlyList<long?> Shape, string BatchAxis);
