using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Unified.Core.Export;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class OnnxExporterTests
{
    [Fact]
    public void UnsupportedModule_NamesItsTypePathAndHowToRegister()
    {
        torch.manual_seed(0);
        using var model = nn.Sequential(("stem", nn.Linear(4, 4)), ("block", nn.Sequential(("norm", nn.LayerNorm(4)), ("act", nn.PReLU(1)))));

        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(model, zeros(1, 4)));

        Assert.Equal("TorchSharp.Modules.PReLU", e.ModuleType);
        Assert.Equal("block.act", e.ModulePath);
        Assert.Contains("TorchSharp.Modules.PReLU at 'block.act'", e.Message);
        Assert.Contains("options.Exporters.Register<PReLU>", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void UserModuleWithoutExporter_IsRefusedUntilRegistered()
    {
        torch.manual_seed(0);
        using var model = new ResidualBlock(3);

        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(model, zeros(1, 3)));
        Assert.Equal("(root)", e.ModulePath);
        Assert.Contains(nameof(ResidualBlock), e.Message);

        Assert.NotEmpty(OnnxExporter.ToBytes(model, zeros(1, 3), new OnnxExportOptions { Exporters = ResidualBlock.Exporters() }));
    }

    [Fact]
    public void UnsupportedConfiguration_SaysWhy()
    {
        torch.manual_seed(0);
        using var model = nn.Sequential(nn.Conv2d(1, 1, 3, padding: 1, padding_mode: TorchSharp.PaddingModes.Reflect));

        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(model, zeros(1, 1, 5, 5)));

        Assert.Equal("0", e.ModulePath);
        Assert.Contains("padding_mode Reflect", e.Message);
    }

    [Fact]
    public void Weights_AreInitializersNamedAsInTheStateDict()
    {
        torch.manual_seed(0);
        using var model = new DigitsCnn();

        var proto = Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(model, zeros(1, 1, 28, 28)));

        Assert.Equal(model.state_dict().Keys.Order(), proto.Graph.Initializer.Select(i => i.Name).Order());
        var fc = proto.Graph.Initializer.Single(i => i.Name == "fc.weight");
        Assert.Equal(new long[] { 10, 800 }, fc.Dims);
        Assert.Equal(model.state_dict()["fc.weight"].data<float>().ToArray(), Floats(fc.RawData.ToByteArray()));
        Assert.Equal(17, proto.OpsetImport.Single().Version);
    }

    [Fact]
    public void BatchAxis_IsDynamicInInputAndOutput()
    {
        torch.manual_seed(0);
        using var model = new DigitsMlp();
        using var session = new InferenceSession(OnnxExporter.ToBytes(model, zeros(3, 784)));

        Assert.Equal(new[] { -1, 784 }, session.InputMetadata["input"].Dimensions);
        Assert.Equal("batch", session.InputMetadata["input"].SymbolicDimensions[0]);
        Assert.Equal(new[] { -1, 10 }, session.OutputMetadata["output"].Dimensions);
    }

    [Fact]
    public void Export_RestoresEachModulesTrainingFlag_AndWritesTheFile()
    {
        torch.manual_seed(0);
        using var model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.BatchNorm1d(3));
        model.train();
        model.named_children().Last().module.eval();
        using var dir = new TempDirectory();

        var result = OnnxExporter.Export(model, zeros(2, 3), dir.File("model.onnx"));

        Assert.True(model.training);
        Assert.Equal(new[] { true, true, false }, model.children().Select(m => m.training));
        Assert.Equal(dir.File("model.onnx"), result.Path);
        Assert.Equal(new long?[] { null, 3 }, result.Inputs.Single().Shape);
        Assert.Equal("float32", result.Outputs.Single().DataType);
        Assert.Equal(new[] { "model.onnx" }, dir.FileNames());
    }

    [Fact]
    public void LaterOpset_IsWrittenAndRuns()
    {
        torch.manual_seed(0);
        using var model = new DigitsMlp();
        byte[] bytes = OnnxExporter.ToBytes(model, zeros(1, 784), new OnnxExportOptions { Opset = 21 });
        using var session = new InferenceSession(bytes);
        using var input = rand(2, 784);
        using var expected = model.call(input);
        using var actual = OnnxRuntimeRun.Run(session, input);

        Assert.Equal(21, Onnx.ModelProto.Parser.ParseFrom(bytes).OpsetImport.Single().Version);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(22)]
    public void OpsetOutsideTheSupportedRange_IsRefused(int opset)
    {
        using var model = nn.Identity();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.ToBytes(model, zeros(1, 2), new OnnxExportOptions { Opset = opset }));
        Assert.Contains("between 17 and 21", e.Message);
    }

    static float[] Floats(byte[] raw) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray();
}
