using Unified.Core.Checkpointing;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class SafetensorsReaderTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static SafetensorsFile ReadBytes(byte[] bytes) => SafetensorsReader.Read(new MemoryStream(bytes), "test.safetensors");

    static CheckpointFormatException Refused(string header, byte[] data, ulong? declared = null) =>
        Assert.Throws<CheckpointFormatException>(() => ReadBytes(RawSafetensors.Build(header, data, declared)).Dispose());

    [Fact]
    public void Read_ReturnsWhatTheWriterWrote_ForEveryDtype()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("f32", arange(12, ScalarType.Float32).reshape(3, 4) / 7f),
            new("f64", tensor(new[] { Math.PI, -0.0 })),
            new("f16", tensor(new float[] { 1.5f, -2f }).to_type(ScalarType.Float16)),
            new("bf16", tensor(new float[] { 3f }).to_type(ScalarType.BFloat16)),
            new("i64", tensor(new long[] { long.MinValue, 1L << 40 })),
            new("i32", tensor(new[] { -7, 9 })),
            new("i16", tensor(new short[] { -300 })),
            new("i8", tensor(new sbyte[] { -5 })),
            new("u8", tensor(new byte[] { 255, 0 })),
            new("bool", tensor(new[] { true, false, true })),
            new("scalar", tensor(2.5f)),
            new("empty", zeros(0, 5)),
        };
        string path = temp.File("all.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v" }, dataSha256Key: "sha");

        using var file = SafetensorsReader.Read(path);

        Assert.Equal(tensors.Select(t => t.Key), file.Tensors.Select(t => t.Key));
        foreach (var ((_, expected), (name, actual)) in tensors.Zip(file.Tensors))
            Assert.True(TensorBits.Equal(expected, actual), name);
        Assert.Equal("v", file.Metadata["k"]);
        Assert.Equal(file.Metadata["sha"], file.DataSha256);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Fact]
    public void Read_OfAFileShorterThanTheLengthPrefix_SaysItIsTruncated()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => ReadBytes([1, 2, 3]));
        Assert.Contains("3 bytes long", e.Message);
    }

    [Fact]
    public void Read_OfAHugeDeclaredHeader_RefusesBeforeAllocatingIt()
    {
        var e = Refused("{}", [], declared: ulong.MaxValue);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void Read_OfAHeaderLongerThanTheFile_SaysItIsTruncated()
    {
        var e = Refused("{}", [], declared: 1000);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("{\"a\": ")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}} junk")]
    public void Read_OfAHeaderThatIsNotJson_SaysSo(string header)
    {
        var e = Refused(header, new byte[4]);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Read_OfAnUnknownDtype_NamesTheTensorAndTheKnownDtypes()
    {
        var e = Refused("{\"w\": {\"dtype\": \"C64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", new byte[8]);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("C64", e.Message);
        Assert.Contains("F32", e.Message);
    }

    [Fact]
    public void Read_OfAShapeWhoseSizeDiffersFromItsOffsets_SaysBoth()
    {
        var e = Refused("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", new byte[8]);
        Assert.Contains("12 bytes", e.Message);
        Assert.Contains("8 bytes of data", e.Message);
    }

    [Fact]
    public void Read_OfAShapeThatOverflows_SaysSo()
    {
        var e = Refused("{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 8]}}", new byte[8]);
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void Read_OfAZeroSizedShapeWithHugeOtherDimensions_IsRefused()
    {
        var e = Refused("{\"w\": {\"dtype\": \"F32\", \"shape\": [0, 4611686018427387904, 4611686018427387904], \"data_offsets\": [0, 0]}}", []);
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void Read_OfOverlappingOffsets_NamesBothTensors()
    {
        var e = Refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", new byte[12]);
        Assert.Contains("overlapping tensor 'a'", e.Message);
    }

    [Fact]
    public void Read_OfAHoleBetweenTensors_SaysWhere()
    {
        var e = Refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}", new byte[12]);
        Assert.Contains("hole of 4 bytes", e.Message);
    }

    [Fact]
    public void Read_OfDataPastTheLastTensor_IsRefused()
    {
        var e = Refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[9]);
        Assert.Contains("5 bytes after its last tensor", e.Message);
    }

    [Fact]
    public void Read_OfTensorsNeedingMoreDataThanTheFileHolds_SaysItIsTruncated()
    {
        var e = Refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", new byte[10]);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", "twice")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "non-negative")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", "non-negative")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", "begin <= end")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 1}}", "unexpected or repeated field 'x'")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", "without all of")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", "not a string")]
    [InlineData("[1, 2]", "does not start with '{'")]
    public void Read_OfMalformedEntries_SaysWhatIsWrong(string header, string expected)
    {
        // Each problem is found while parsing the header, before the data's coverage is checked.
        var e = Refused(header, new byte[8]);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Read_OfAMissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SafetensorsReader.Read(temp.File("nope.safetensors")));
    }
}
