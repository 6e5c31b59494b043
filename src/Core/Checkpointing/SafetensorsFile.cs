using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>The contents of a safetensors file that <see cref="SafetensorsReader"/> read: CPU tensors it owns, metadata and the data's hash.</summary>
public sealed class SafetensorsFile(SafetensorsHeader header, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, string dataSha256) : IDisposable
{
    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; } = header;

    /// <summary>Tensors in file order (the order they were written); disposed with this object.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Tensors { get; } = tensors;

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>SHA-256 (lower-case hex) of the whole data area, computed while reading.</summary>
    public string DataSha256 { get; } = dataSha256;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, tensor) in Tensors) tensor.Dispose();
    }
}
