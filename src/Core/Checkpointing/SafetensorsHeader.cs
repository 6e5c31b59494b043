namespace Unified.Core.Checkpointing;

/// <summary>A validated safetensors header: entries in data order, string metadata, and where the data area lies.</summary>
/// <param name="Entries">Tensors sorted by offset; together they cover the data area exactly.</param>
/// <param name="Metadata">The <c>__metadata__</c> strings (empty when absent).</param>
/// <param name="HeaderLength">Bytes of JSON header after the 8-byte length.</param>
/// <param name="DataLength">Bytes of tensor data after the header.</param>
/// <param name="Json">The raw header bytes (JSON and padding), for digests.</param>
public sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long HeaderLength, long DataLength,
    ReadOnlyMemory<byte> Json)
{
    /// <summary>Where the data area starts, from the start of the file.</summary>
    public long DataStart => 8 + HeaderLength;
}
