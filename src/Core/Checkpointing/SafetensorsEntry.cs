using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>One tensor of a safetensors header: name, dtype, shape and its byte range in the data area.</summary>
/// <param name="Name">The tensor's name (a state-dict key).</param>
/// <param name="Dtype">Its element type.</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Begin">First byte in the data area.</param>
/// <param name="End">One past its last byte in the data area.</param>
public sealed record SafetensorsEntry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>Bytes of data.</summary>
    public long Length => End - Begin;
}
