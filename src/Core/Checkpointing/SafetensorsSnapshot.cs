using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Tensors and metadata taken for one safetensors file (<see cref="SafetensorsWriter.Snapshot"/>), ready to be written
/// later or on another thread. Owns its tensors; dispose after writing.
/// </summary>
public sealed class SafetensorsSnapshot : IDisposable
{
    readonly List<(string Name, Tensor Tensor)> entries;
    readonly Dictionary<string, string>? metadata;
    readonly string? dataSha256Key, headerSha256Key;
    bool disposed;

    internal SafetensorsSnapshot(List<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata, string? dataSha256Key, string? headerSha256Key)
    {
        this.entries = entries;
        // A copy: the caller may change its dictionary while the write is in flight.
        this.metadata = metadata is null ? null : new Dictionary<string, string>(metadata);
        (this.dataSha256Key, this.headerSha256Key) = (dataSha256Key, headerSha256Key);
    }

    /// <summary>Writes the file (atomically and durably), byte for byte what <see cref="SafetensorsWriter.Write(string, IEnumerable{KeyValuePair{string, Tensor}}, IReadOnlyDictionary{string, string}?, string?, string?)"/> writes.</summary>
    public void WriteTo(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SafetensorsWriter.WriteEntries(path, entries, metadata, dataSha256Key, headerSha256Key);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, tensor) in entries) tensor.Dispose();
    }
}
