using System.Text.Json;
using System.Text.Json.Nodes;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class CheckpointFileTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class Counter : IStateful
    {
        public long Count { get; set; }
        public Tensor Buffer { get; } = zeros(3);

        public StateDict StateDict()
        {
            var state = new StateDict();
            state.Values["count"] = Count;
            state.Tensors["buffer"] = Buffer;
            return state;
        }

        public void LoadStateDict(StateDict state)
        {
            Count = state.Value<long>("count");
            Buffer.copy_(state.Tensor("buffer"));
        }
    }

    [Fact]
    public void SaveThenLoad_RestoresEveryPart_AndKeepsModelWeightsUnderTheirPlainNames()
    {
        manual_seed(1);
        using var model = new DigitsMlp();
        var counter = new Counter { Count = 7 };
        counter.Buffer.fill_(2.5);
        string path = temp.File("a.ckpt");
        CheckpointFile.Save(path, new Dictionary<string, IStateful> { ["model"] = new ModuleState(model), ["counter"] = counter });

        using (var raw = SafetensorsReader.Read(path))
        {
            Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "counter.buffer"], raw.Tensors.Select(t => t.Key));
            Assert.Equal("1.0", raw.Metadata["format_version"]);
            Assert.Equal(raw.DataSha256, raw.Metadata["data_sha256"]);
        }

        manual_seed(2);
        using var other = new DigitsMlp();
        var restored = new Counter();
        using (var contents = CheckpointFile.Load(path))
            contents.Restore(new Dictionary<string, IStateful> { ["model"] = new ModuleState(other), ["counter"] = restored });

        Assert.True(ModuleWeights.BitwiseEqual(model, other));
        Assert.Equal(7, restored.Count);
        Assert.Equal(new float[] { 2.5f, 2.5f, 2.5f }, restored.Buffer.data<float>().ToArray());
    }

    [Fact]
    public void Load_OfFlippedTensorData_ThrowsChecksumException()
    {
        string path = temp.File("a.ckpt");
        using var t = ones(4);
        CheckpointFile.Save(path, [KeyValuePair.Create("part", new StateDict { Tensors = { ["t"] = t } })]);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointChecksumException>(() => CheckpointFile.Load(path));
        Assert.Contains("damaged", e.Message);
    }

    [Fact]
    public void Load_OfAnEditedHeaderValue_ThrowsChecksumException()
    {
        string path = temp.File("a.ckpt");
        CheckpointFile.Save(path, [KeyValuePair.Create("loop", new StateDict { Values = { ["epoch"] = JsonValue.Create(1) } })]);
        byte[] bytes = File.ReadAllBytes(path);
        // The state is a JSON string inside the JSON header, so its quotes are escaped (as \u0022).
        int at = bytes.AsSpan().IndexOf("epoch\\u0022:1"u8) + "epoch\\u0022:".Length;
        Assert.True(at > 8);
        bytes[at] = (byte)'7'; // still valid JSON and a valid layout: only the header digest can tell
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointChecksumException>(() => CheckpointFile.Load(path));
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void Load_OfANewerMajorVersion_NamesBothVersions()
    {
        string path = temp.File("future.ckpt");
        SafetensorsWriter.Write(path, [], new Dictionary<string, string>
        {
            ["format"] = "unified-checkpoint", ["format_version"] = "2.3", ["library_version"] = "9.9.9", ["parts"] = "[\"model\"]", ["state"] = "{}",
        }, dataSha256Key: "data_sha256");

        var e = Assert.Throws<CheckpointVersionException>(() => CheckpointFile.Load(path));
        Assert.Contains("2.3", e.Message);
        Assert.Contains("1.0", e.Message);
        Assert.Equal("2.3", e.FileVersion);
    }

    [Fact]
    public void Load_OfANewerMinorVersion_IsAccepted()
    {
        string path = temp.File("minor.ckpt");
        SafetensorsWriter.Write(path, [], new Dictionary<string, string>
        {
            ["format"] = "unified-checkpoint", ["format_version"] = "1.7", ["parts"] = "[\"loop\"]", ["state"] = "{\"loop\": {\"epoch\": 3}}",
        }, dataSha256Key: "data_sha256", headerSha256Key: "header_sha256");

        using var contents = CheckpointFile.Load(path);

        Assert.Equal(3, contents.Part("loop").Value<int>("epoch"));
        Assert.Equal(new CheckpointVersion(1, 7), contents.FileVersion);
    }

    [Fact]
    public void Load_OfAVersion0WeightsFile_UpgradesItToAModelPart()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        string path = temp.File("v0.ckpt");
        // The layout `unified fit` wrote before checkpoints had versions.
        SafetensorsWriter.Write(path, model.state_dict(), new Dictionary<string, string>
        {
            ["format"] = "unified-weights", ["framework"] = "lightning", ["model"] = "mlp", ["epoch"] = "2", ["global_step"] = "375",
        });
        manual_seed(4);
        using var other = new DigitsMlp();

        using var contents = CheckpointFile.Load(path);
        new ModuleState(other).LoadStateDict(contents.Part("model"));

        Assert.True(ModuleWeights.BitwiseEqual(model, other));
        Assert.Equal(new CheckpointVersion(0, 0), contents.FileVersion);
        Assert.Equal("375", contents.Part("legacy").Value<string>("global_step"));
    }

    [Fact]
    public void Load_OfPlainSafetensors_SaysItIsNotACheckpoint()
    {
        string path = temp.File("plain.safetensors");
        using var t = ones(2);
        SafetensorsWriter.Write(path, [new("w", t)]);

        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(path));
        Assert.Contains("not a Unified checkpoint", e.Message);
    }

    [Fact]
    public void Load_OfBadStateJson_IsAFormatError()
    {
        string path = temp.File("bad.ckpt");
        SafetensorsWriter.Write(path, [], new Dictionary<string, string>
        {
            ["format"] = "unified-checkpoint", ["format_version"] = "1.0", ["parts"] = "[\"loop\"]", ["state"] = "{\"loop\": ",
        }, dataSha256Key: "data_sha256", headerSha256Key: "header_sha256");

        Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(path));
    }

    [Fact]
    public void Restore_WithAPartTheFileLacks_NamesIt()
    {
        string path = temp.File("a.ckpt");
        CheckpointFile.Save(path, [KeyValuePair.Create("loop", new StateDict { Values = { ["epoch"] = JsonValue.Create(1) } })]);
        using var contents = CheckpointFile.Load(path);

        var e = Assert.Throws<InvalidDataException>(() => contents.Restore(new Dictionary<string, IStateful> { ["optimizer"] = new Counter() }));
        Assert.Contains("optimizer", e.Message);
    }

    [Fact]
    public void Save_WithAModelKeyThatLooksLikeAnotherPart_IsRefused()
    {
        using var t = ones(1);
        var model = new StateDict { Tensors = { ["optimizer.x"] = t } };

        Assert.Throws<ArgumentException>(() => CheckpointFile.Save(temp.File("x.ckpt"),
            [KeyValuePair.Create("model", model), KeyValuePair.Create("optimizer", new StateDict())]));
        Assert.Empty(temp.FileNames());
    }

    [Fact]
    public void Metadata_IsReadableAsStringsByAnySafetensorsReader()
    {
        string path = temp.File("a.ckpt");
        CheckpointFile.Save(path, [KeyValuePair.Create("loop", new StateDict { Values = { ["epoch"] = JsonValue.Create(1) } })]);

        using var file = SafetensorsReader.Read(path);
        var state = JsonDocument.Parse(file.Metadata["state"]).RootElement;

        Assert.Equal(1, state.GetProperty("loop").GetProperty("epoch").GetInt32());
        Assert.Equal("[\"loop\"]", file.Metadata["parts"]);
    }
}
