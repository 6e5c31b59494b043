using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Unified.Core.Export;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>ONNX Runtime's output of every exported case equals TorchSharp's forward (eval, fp32) within 1e-5.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxExportParityTests
{
    const double Tolerance = 1e-5;

    public static TheoryData<string> Cases() => OnnxCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntime_MatchesTorchSharp_OnTwoBatchSizes(string name)
    {
        var c = OnnxCases.Named(name);
        torch.manual_seed(7);
        using var model = c.Create();
        using var sample = c.Input(2);
        byte[] bytes = OnnxExporter.ToBytes(model, sample, new OnnxExportOptions { Exporters = c.Exporters ?? OnnxExporterRegistry.CreateDefault() });
        using var session = new InferenceSession(bytes);
        model.eval();

        foreach (long batch in new long[] { 1, 5 })
        {
            using var scope = NewDisposeScope();
            var input = c.Input(batch);
            Tensor expected;
            using (no_grad()) expected = model.call(input);
            var actual = OnnxRuntimeRun.Run(session, input);

            Assert.Equal(expected.shape, actual.shape);
            double worst = (actual - expected).abs().sub(expected.abs().mul(Tolerance)).max().item<float>();
            Assert.True(worst <= Tolerance, $"{name}, batch {batch}: |onnx - torch| exceeds {Tolerance} + {Tolerance}|torch| by up to {worst - Tolerance:G3}");
        }
    }
}
