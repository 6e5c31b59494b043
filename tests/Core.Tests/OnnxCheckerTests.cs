using TorchSharp;
using Unified.Core.Export;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>Debian's onnx checker (scripts/check_onnx.py, python3-onnx) accepts every exported case.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxCheckerTests
{
    [SkippableFact]
    public void EveryExportedModel_PassesOnnxChecker()
    {
        DebianPython.SkipUnlessAvailable("onnx");
        using var dir = new TempDirectory();
        foreach (var c in OnnxCases.All)
        {
            torch.manual_seed(7);
            using var model = c.Create();
            using var sample = c.Input(2);
            OnnxExporter.Export(model, sample, dir.File(c.Name + ".onnx"), new OnnxExportOptions { Exporters = c.Exporters ?? OnnxExporterRegistry.CreateDefault() });
        }

        var (code, output, error) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "check_onnx.py"), dir.Path);

        Assert.True(code == 0, output + error);
        Assert.Contains($"{OnnxCases.All.Count} of {OnnxCases.All.Count} models pass", output);
    }

    [SkippableFact]
    public void Checker_RejectsADamagedModel()
    {
        DebianPython.SkipUnlessAvailable("onnx");
        using var dir = new TempDirectory();
        torch.manual_seed(7);
        using var model = new Unified.Core.Models.DigitsMlp();
        var proto = Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(model, torch.zeros(1, 784)));
        proto.Graph.Node[0].Input[1] = "missing.weight";
        File.WriteAllBytes(dir.File("broken.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(proto));

        var (code, output, _) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "check_onnx.py"), dir.Path);

        Assert.Equal(1, code);
        Assert.Contains("FAILED broken.onnx", output);
    }
}
