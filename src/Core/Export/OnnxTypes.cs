using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>Maps TorchSharp element types and tensors to their ONNX forms.</summary>
static class OnnxTypes
{
    public static TensorProto.Types.DataType ElementType(ScalarType type) => type switch
    {
        ScalarType.Float32 => TensorProto.Types.DataType.Float,
        ScalarType.Float64 => TensorProto.Types.DataType.Double,
        ScalarType.Int64 => TensorProto.Types.DataType.Int64,
        ScalarType.Int32 => TensorProto.Types.DataType.Int32,
        ScalarType.Bool => TensorProto.Types.DataType.Bool,
        _ => throw new NotSupportedException($"Element type {type} does not export to ONNX; use float32 or int64."),
    };

    /// <summary>The type in PyTorch's spelling, as the CLI's JSON reports it.</summary>
    public static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Bool => "bool",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// A copy of <paramref name="tensor"/> as an initializer (raw little-endian data). Low-precision floating weights
    /// (bf16-true, 16-true) are widened to float32, which the exported graph computes in.
    /// </summary>
    public static TensorProto ToProto(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var value = tensor.detach().cpu();
        if (value.is_floating_point() && value.dtype != ScalarType.Float32) value = value.to_type(ScalarType.Float32);
        value = value.contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)ElementType(value.dtype) };
        proto.Dims.AddRange(value.shape);
        proto.RawData = ByteString.CopyFrom(value.bytes);
        return proto;
    }
}
