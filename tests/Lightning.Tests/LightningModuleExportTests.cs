using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Export;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

[Collection(TorchCollection.Name)]
public sealed class LightningModuleExportTests
{
    sealed class LitCnn() : LightningModule(new DigitsCnn())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    [Fact]
    public void ToOnnx_WritesWhatTheCoreExporterWritesForTheNetwork()
    {
        torch.manual_seed(0);
        using var module = new LitCnn();
        using var sample = zeros(1, 1, 28, 28);
        using var dir = new TempDirectory();

        var result = module.ToOnnx(dir.File("lit.onnx"), sample);

        Assert.Equal(dir.File("lit.onnx"), result.Path);
        Assert.Equal(new long?[] { null, 10 }, result.Outputs.Single().Shape);
        Assert.Equal(OnnxExporter.ToBytes((nn.Module<Tensor, Tensor>)module.Network, sample), File.ReadAllBytes(result.Path));
    }
}
