using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Unified.Core.Checkpointing;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class SafetensorsWriterTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static (JsonElement Header, byte[] Data, long HeaderLength) Parse(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string json = Encoding.UTF8.GetString(file, 8, (int)headerLength);
        return (JsonDocument.Parse(json).RootElement.Clone(), file[(8 + (int)headerLength)..], headerLength);
    }

    static byte[] Bytes(Tensor t)
    {
        using var c = t.contiguous();
        return c.bytes.ToArray();
    }

    [Fact]
    public void Write_ProducesTheSafetensorsLayoutWithEveryTensorsBytes()
    {
        using var weight = arange(12, ScalarType.Float32).reshape(3, 4) / 7f;
        using var counts = tensor(new long[] { -3, 0, 1L << 40 });
        using var flags = tensor(new byte[] { 1, 2, 255 });
        using var scalar = tensor(2.5);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("layer.weight", weight), new("counts", counts), new("flags", flags), new("scalar", scalar),
        };
        string path = temp.File("model.safetensors");

        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["framework"] = "unified" });

        var (header, data, headerLength) = Parse(path);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("unified", header.GetProperty("__metadata__").GetProperty("framework").GetString());
        var expected = new (string Name, string Dtype, long[] Shape, byte[] Bytes)[]
        {
            ("layer.weight", "F32", [3, 4], Bytes(weight)),
            ("counts", "I64", [3], Bytes(counts)),
            ("flags", "U8", [3], Bytes(flags)),
            ("scalar", "F64", [], Bytes(scalar)),
        };
        long offset = 0;
        foreach (var (name, dtype, shape, bytes) in expected)
        {
            var entry = header.GetProperty(name);
            Assert.Equal(dtype, entry.GetProperty("dtype").GetString());
            Assert.Equal(shape, entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(new[] { offset, offset + bytes.Length }, offsets);
            Assert.Equal(bytes, data[(int)offsets[0]..(int)offsets[1]]);
            offset += bytes.Length;
        }
        Assert.Equal(offset, data.Length);
        Assert.Equal(5, header.EnumerateObject().Count());
    }

    [Fact]
    public void Write_StoresNonContiguousTensorsInRowMajorOrder()
    {
        using var matrix = arange(6, ScalarType.Float32).reshape(2, 3);
        using var transposed = matrix.t();
        string path = temp.File("t.safetensors");

        SafetensorsWriter.Write(path, [new("t", transposed)]);

        var (header, data, _) = Parse(path);
        Assert.Equal(new long[] { 3, 2 }, header.GetProperty("t").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        var values = new float[6];
        Buffer.BlockCopy(data, 0, values, 0, 24);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, values);
    }

    [Fact]
    public void Write_WithoutMetadata_HasNoMetadataEntry()
    {
        using var t = ones(2);
        string path = temp.File("plain.safetensors");

        SafetensorsWriter.Write(path, [new("t", t)]);

        var (header, _, _) = Parse(path);
        Assert.False(header.TryGetProperty("__metadata__", out _));
    }

    [Fact]
    public void Write_WithAnUnsupportedDtype_LeavesNoFileAndNoTemporaryFile()
    {
        using var good = ones(2);
        using var complex = zeros(2, ScalarType.ComplexFloat32);
        string path = temp.File("bad.safetensors");

        var e = Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Write(path, [new("good", good), new("complex", complex)]));

        Assert.Contains("complex", e.Message);
        Assert.Empty(temp.FileNames());
    }

    [Fact]
    public void FailedOverwrite_LeavesTheExistingFileIntact()
    {
        using var original = arange(4, ScalarType.Float32);
        using var complex = zeros(2, ScalarType.ComplexFloat32);
        string path = temp.File("model.safetensors");
        SafetensorsWriter.Write(path, [new("w", original)]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Write(path, [new("w", complex)]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, temp.FileNames());
    }

    [Fact]
    public void Write_DoesNotDisposeOrChangeTheCallersTensors()
    {
        using var weight = arange(3, ScalarType.Float32);

        SafetensorsWriter.Write(temp.File("a.safetensors"), [new("w", weight)]);

        Assert.Equal(new float[] { 0, 1, 2 }, weight.data<float>().ToArray());
    }
}
