using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Writes tensors in the safetensors layout (8-byte little-endian header length, JSON header with dtype, shape and
/// data offsets, then the raw little-endian bytes), readable by Python's <c>safetensors</c>. Writes are atomic.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (in order) and string <paramref name="metadata"/> to <paramref name="path"/>.
    /// With <paramref name="dataSha256Key"/>, the SHA-256 of the whole data area is added to the metadata under that key;
    /// with <paramref name="headerSha256Key"/>, the header's own <see cref="HeaderDigest"/>.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        string? dataSha256Key = null, string? headerSha256Key = null)
    {
        using var snapshot = Snapshot(tensors, metadata, dataSha256Key, headerSha256Key, copy: false);
        snapshot.WriteTo(path);
    }

    /// <summary>
    /// Takes what <see cref="Write"/> would write, without writing it: CPU, contiguous, detached tensors (with
    /// <paramref name="copy"/>, clones that the next optimiser step cannot change in place) and the metadata. The names
    /// are checked here, so a bad call fails on the caller's thread. Writing the snapshot gives the same bytes as <see cref="Write"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor name is empty, repeated or reserved.</exception>
    public static SafetensorsSnapshot Snapshot(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        string? dataSha256Key = null, string? headerSha256Key = null, bool copy = true)
    {
        // The scope frees the detach/cpu/contiguous temporaries; the snapshot owns the tensors it keeps.
        using var scope = NewDisposeScope();
        var entries = tensors.Select(kv => (kv.Key, Tensor: Prepare(kv.Value, copy))).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal) { "__metadata__" };
        foreach (var (name, _) in entries)
            if (name.Length == 0 || !names.Add(name))
                throw new ArgumentException($"Tensor name '{name}' is empty, repeated or reserved; every tensor needs its own name.", nameof(tensors));
        foreach (var (_, tensor) in entries) tensor.DetachFromDisposeScope();
        return new SafetensorsSnapshot(entries, metadata, dataSha256Key, headerSha256Key);
    }

    // On the CPU, detach/cpu/contiguous may return a view of the live storage: a copy must not share it.
    static Tensor Prepare(Tensor source, bool copy)
    {
        var tensor = source.detach().cpu().contiguous();
        return copy && source.device_type == TorchSharp.DeviceType.CPU ? tensor.clone() : tensor;
    }

    /// <summary>Writes a <see cref="Snapshot"/>'s tensors and metadata to <paramref name="path"/> (atomically and durably); any thread.</summary>
    internal static void WriteEntries(string path, IReadOnlyList<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata,
        string? dataSha256Key, string? headerSha256Key)
    {
        if (dataSha256Key is not null)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (_, tensor) in entries) sha.AppendData(tensor.bytes);
            metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
            {
                [dataSha256Key] = Convert.ToHexStringLower(sha.GetHashAndReset()),
            };
        }
        if (headerSha256Key is not null)
            metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [headerSha256Key] = HeaderDigest.Placeholder };
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                long length = tensor.NumberOfElements * tensor.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", DtypeName(tensor.dtype, name));
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }
        // The header is padded with spaces to a multiple of 8 so that the data is aligned, as the reference writer does.
        int padding = (int)((8 - buffer.Length % 8) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        byte[] header = buffer.ToArray();
        if (headerSha256Key is not null) HeaderDigest.Seal(header, headerSha256Key);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in entries) stream.Write(tensor.bytes);
        });
    }

    /// <summary>The safetensors dtype name of <paramref name="type"/>.</summary>
    public static string DtypeName(ScalarType type, string tensorName = "") => SafetensorsDtypes.NameOf(type, tensorName);
}
