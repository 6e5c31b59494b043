using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Unicode;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Reads the safetensors layout strictly, so that nothing in a file can make the reader run code or allocate more than
/// the file's own size: the header length is capped and must fit the file; sizes use checked arithmetic; every entry
/// has a known dtype and a shape whose byte size equals its offsets; offsets run contiguously from 0 and cover the data
/// area exactly (no holes, no overlaps, no trailing bytes). Every refusal is a <see cref="CheckpointFormatException"/>
/// that names the file and the problem. Tensors are allocated only after the whole header has been validated.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>The largest header accepted by default: 100 MB, the reference implementation's limit.</summary>
    public const long DefaultMaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Tensor bytes this thread's reads have allocated since the counter was last reset: native memory that the GC does
    /// not see, counted so that tests can check that no file makes the reader allocate more than the file holds.
    /// </summary>
    [ThreadStatic] internal static long AllocatedTensorBytes;

    const string MetadataKey = "__metadata__";
    const int MaxDimensions = 64;
    static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 8 };

    /// <summary>Reads every tensor and the metadata of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsFile Read(string path, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        using var stream = OpenRead(path);
        return Read(stream, path, maxHeaderBytes);
    }

    /// <summary>Reads every tensor and the metadata from a seekable <paramref name="stream"/>, from its current position to its end.</summary>
    public static SafetensorsFile Read(Stream stream, string source, long maxHeaderBytes = DefaultMaxHeaderBytes) =>
        ReadData(stream, source, ReadHeader(stream, source, maxHeaderBytes));

    /// <summary>Reads and validates only the header; the stream is left at the start of the data area.</summary>
    public static SafetensorsHeader ReadHeader(Stream stream, string source, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable so that its length bounds what is read.", nameof(stream));
        long available = stream.Length - stream.Position;
        if (available < 8)
            throw Bad(source, $"is {available} bytes long; a safetensors file starts with an 8-byte header length. The file is truncated or not safetensors.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared > (ulong)maxHeaderBytes)
            throw Bad(source, $"declares a {declared}-byte header; the limit is {maxHeaderBytes} bytes. The file is damaged or not safetensors.");
        long headerLength = (long)declared;
        if (headerLength > available - 8)
            throw Bad(source, $"declares a {headerLength}-byte header but only {available - 8} bytes follow the length: the file is truncated.");
        if (headerLength < 2) throw Bad(source, $"declares a {headerLength}-byte header; a header is at least '{{}}'.");

        var json = new byte[headerLength];
        stream.ReadExactly(json);
        if (json[0] != (byte)'{') throw Bad(source, "has a header that does not start with '{': the file is damaged or not safetensors.");
        // The JSON reader checks UTF-8 only when a string is read; check all of it up front.
        if (!Utf8.IsValid(json)) throw Bad(source, "has a header that is not valid UTF-8: the file is damaged.");
        long dataLength = available - 8 - headerLength;
        var (entries, metadata) = ParseHeader(json, source);
        CheckCoverage(entries, dataLength, source);
        return new SafetensorsHeader(entries, metadata, headerLength, dataLength, json);
    }

    /// <summary>Reads the tensors that <paramref name="header"/> describes; the stream must be at the start of the data area.</summary>
    public static SafetensorsFile ReadData(Stream stream, string source, SafetensorsHeader header)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Reading safetensors needs a little-endian host.");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tensors = new List<KeyValuePair<string, Tensor>>(header.Entries.Count);
        try
        {
            foreach (var entry in header.Entries)
            {
                if (entry.Length > int.MaxValue)
                    throw new NotSupportedException($"Tensor '{entry.Name}' in '{source}' has {entry.Length} bytes; tensors over 2 GiB are not supported by this reader.");
                var tensor = empty(entry.Shape, entry.Dtype);
                AllocatedTensorBytes += entry.Length;
                tensors.Add(new(entry.Name, tensor));
                if (entry.Length == 0) continue;
                Span<byte> target = tensor.bytes;
                int read = stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
                if (read < target.Length)
                    throw Bad(source, $"ended inside tensor '{entry.Name}': the file is truncated (it changed while being read?).");
                sha.AppendData(target);
            }
        }
        catch
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
            throw;
        }
        return new SafetensorsFile(header, tensors, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>Opens <paramref name="path"/> for reading, with a clear error when it is missing.</summary>
    public static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file '{path}' does not exist.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    static (List<SafetensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Bad(source, $"has a header that is not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Bad(source, "has a header that is not a JSON object.");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw Bad(source, $"names '{property.Name}' twice in its header.");
                if (property.Name == MetadataKey) ParseMetadata(property.Value, metadata, source);
                else entries.Add(ParseEntry(property.Name, property.Value, source));
            }
            return (entries, metadata);
        }
    }

    static void ParseMetadata(JsonElement element, Dictionary<string, string> metadata, string source)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Bad(source, $"has a '{MetadataKey}' that is not a JSON object of strings.");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw Bad(source, $"has metadata '{item.Name}' that is not a string.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!)) throw Bad(source, $"names metadata '{item.Name}' twice.");
        }
    }

    static SafetensorsEntry ParseEntry(string name, JsonElement element, string source)
    {
        if (name.Length == 0) throw Bad(source, "has a tensor with an empty name.");
        if (element.ValueKind != JsonValueKind.Object) throw Bad(source, $"describes tensor '{name}' with something that is not a JSON object.");
        string? dtype = null;
        long[]? shape = null, offsets = null;
        foreach (var field in element.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null && field.Value.ValueKind == JsonValueKind.String: dtype = field.Value.GetString()!; break;
                case "shape" when shape is null: shape = Integers(field.Value, name, "shape", source); break;
                case "data_offsets" when offsets is null: offsets = Integers(field.Value, name, "data_offsets", source); break;
                default: throw Bad(source, $"has an unexpected or repeated field '{field.Name}' in tensor '{name}'; allowed: dtype (string), shape, data_offsets.");
            }
        }
        if (dtype is null || shape is null || offsets is null) throw Bad(source, $"describes tensor '{name}' without all of dtype, shape and data_offsets.");
        if (!SafetensorsDtypes.TryParse(dtype, out var type, out int elementSize))
            throw Bad(source, $"gives tensor '{name}' the unknown dtype '{dtype}'; known: {string.Join(", ", SafetensorsDtypes.Names)}.");
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Bad(source, $"gives tensor '{name}' data_offsets [{string.Join(", ", offsets)}]; they must be [begin, end] with begin <= end.");
        if (shape.Length > MaxDimensions)
            throw Bad(source, $"gives tensor '{name}' {shape.Length} dimensions; at most {MaxDimensions} are allowed.");
        long bytes;
        try
        {
            // Strides multiply the non-zero dimensions even when another one is 0, so those must not overflow either.
            long count = 1, strides = 1;
            foreach (long d in shape) (count, strides) = (checked(count * d), checked(strides * Math.Max(d, 1)));
            bytes = checked(count * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad(source, $"gives tensor '{name}' the shape [{string.Join(", ", shape)}], whose size overflows 64 bits.");
        }
        if (bytes != offsets[1] - offsets[0])
            throw Bad(source, $"gives tensor '{name}' shape [{string.Join(", ", shape)}] of {dtype} ({bytes} bytes) but {offsets[1] - offsets[0]} bytes of data.");
        return new SafetensorsEntry(name, type, shape, offsets[0], offsets[1]);
    }

    static long[] Integers(JsonElement element, string tensor, string field, string source)
    {
        if (element.ValueKind != JsonValueKind.Array) throw Bad(source, $"gives tensor '{tensor}' a {field} that is not an array.");
        var values = new long[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw Bad(source, $"gives tensor '{tensor}' a {field} entry {item.GetRawText()}; entries must be non-negative 64-bit integers.");
            values[i++] = value;
        }
        return values;
    }

    static void CheckCoverage(List<SafetensorsEntry> entries, long dataLength, string source)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string previous = "the start of the data";
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
                throw Bad(source, $"has tensor '{entry.Name}' at bytes [{entry.Begin}, {entry.End}) overlapping {previous}.");
            if (entry.Begin > expected)
                throw Bad(source, $"has a hole of {entry.Begin - expected} bytes between {previous} and tensor '{entry.Name}'.");
            expected = entry.End;
            previous = $"tensor '{entry.Name}'";
        }
        if (expected > dataLength)
            throw Bad(source, $"needs {expected} bytes of tensor data but holds {dataLength}: the file is truncated.");
        if (expected < dataLength)
            throw Bad(source, $"holds {dataLength - expected} bytes after its last tensor that no header entry covers.");
    }

    static CheckpointFormatException Bad(string source, string problem, Exception? inner = null) => new($"'{source}' {problem}", inner);
}
