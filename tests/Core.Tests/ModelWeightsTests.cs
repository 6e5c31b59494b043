using System.IO.Compression;
using System.Text.Json;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>PyTorch and safetensors weights load into TorchSharp modules exactly, with mismatches reported key by key.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelWeightsTests : IDisposable
{
    static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_OfAStateDictSavedByPyTorch_CopiesEveryValueExactly()
    {
        using var layer = nn.Linear(4, 3);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "linear_4x3.json")));

        var report = ModelWeights.Load(layer, Path.Combine(Fixtures, "linear_4x3.pt"));

        Assert.Equal(["weight", "bias"], report.LoadedKeys.Order().Reverse());
        foreach (var entry in expected.RootElement.EnumerateObject())
        {
            var values = entry.Value.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Assert.Equal(values, layer.state_dict()[entry.Name].data<float>().ToArray());
        }
    }

    [Fact]
    public void Load_OfAPyTorchStateDictIntoAnotherShape_NamesTheKeyAndBothShapes()
    {
        using var layer = nn.Linear(5, 3);

        var e = Assert.Throws<StateMismatchException>(() => ModelWeights.Load(layer, Path.Combine(Fixtures, "linear_4x3.pt")));

        Assert.Equal(["weight: shape [3, 4] in the state, [3, 5] in the model"], e.Problems);
    }

    [Fact]
    public void Load_NonStrict_ReportsTheKeysTheModelDoesNotHave()
    {
        using var layer = nn.Linear(4, 3, hasBias: false);

        var report = ModelWeights.Load(layer, Path.Combine(Fixtures, "linear_4x3.pt"), strict: false);

        Assert.Equal(["weight"], report.LoadedKeys);
        Assert.Equal(["bias"], report.UnexpectedKeys);
        Assert.Throws<StateMismatchException>(() => ModelWeights.Load(layer, Path.Combine(Fixtures, "linear_4x3.pt")));
    }

    [Theory]
    [InlineData("weights.safetensors")]
    [InlineData("weights.pt")]
    public void Export_ThenLoad_RoundTripsBitwise(string name)
    {
        manual_seed(1);
        using var model = new DigitsMlp();
        manual_seed(2);
        using var other = new DigitsMlp();
        string path = temp.File(name);

        if (name.EndsWith(".pt", StringComparison.Ordinal)) ModelWeights.ExportPyTorch(model, path);
        else ModelWeights.ExportSafetensors(model, path);
        ModelWeights.Load(other, path);

        Assert.True(ModuleWeights.BitwiseEqual(model, other));
        Assert.Equal([name], temp.FileNames());
    }

    [Fact]
    public void Load_OfAUnifiedCheckpoint_TakesItsModelPart()
    {
        manual_seed(1);
        using var model = new DigitsMlp();
        using var other = new DigitsMlp();
        string path = temp.File("last.ckpt");
        CheckpointFile.Save(path, new Dictionary<string, IStateful> { ["model"] = new ModuleState(model), ["loop"] = new LoopProgress() });

        ModelWeights.Load(other, path);

        Assert.True(ModuleWeights.BitwiseEqual(model, other));
    }

    [Fact]
    public void Load_OfAZipWithoutAPickle_IsRefused()
    {
        string path = temp.File("x.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create)) zip.CreateEntry("archive/readme.txt", CompressionLevel.NoCompression);
        using var layer = nn.Linear(4, 3);

        var e = Assert.Throws<CheckpointFormatException>(() => ModelWeights.Load(layer, path));
        Assert.Contains("data.pkl", e.Message);
    }

    [Fact]
    public void Load_OfAZipThatExpandsFarBeyondItsSize_IsRefusedBeforeUnpickling()
    {
        string path = temp.File("bomb.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("archive/data.pkl", CompressionLevel.Optimal).Open()))
            writer.Write(new string('a', 50_000_000));
        using var layer = nn.Linear(4, 3);

        var e = Assert.Throws<CheckpointFormatException>(() => ModelWeights.Load(layer, path));
        Assert.Contains("zip bomb", e.Message);
    }

    [Fact]
    public void Load_OfATruncatedPyTorchFile_IsRefusedWithAFormatError()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, "linear_4x3.pt"));
        string path = temp.File("cut.pt");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var layer = nn.Linear(4, 3);

        Assert.Throws<CheckpointFormatException>(() => ModelWeights.Load(layer, path));
    }
}
