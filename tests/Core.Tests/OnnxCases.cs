using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.Export;
using Unified.Core.Models;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// One exportable model per supported layer (and configuration that changes what is written), the digits models
/// and a user's residual block with its registered exporter: what the parity and the checker tests export.
/// </summary>
public static class OnnxCases
{
    /// <summary>A case: builds the model (seeded by the caller) and a random input of a given batch size.</summary>
    public sealed record Case(string Name, Func<nn.Module<Tensor, Tensor>> Create, Func<long, Tensor> Input, OnnxExporterRegistry? Exporters = null);

    static Func<long, Tensor> Floats(params long[] sample) => batch => randn([batch, .. sample]);

    public static IReadOnlyList<Case> All { get; } =
    [
        new("linear", () => nn.Linear(5, 3), Floats(5)),
        new("linear_no_bias", () => nn.Linear(5, 3, hasBias: false), Floats(5)),
        new("linear_3d_input", () => nn.Linear(4, 3), Floats(6, 4)),
        new("conv1d", () => nn.Conv1d(3, 4, 3, stride: 2, padding: 1), Floats(3, 11)),
        new("conv2d", () => nn.Conv2d(2, 4, 3, padding: 1), Floats(2, 9, 9)),
        new("conv2d_strided_dilated_grouped", () => nn.Conv2d(4, 6, 3, stride: 2, padding: 2, dilation: 2, groups: 2), Floats(4, 11, 10)),
        new("conv2d_same_even_kernel_no_bias", () => nn.Conv2d(2, 3, 4, Padding.Same, bias: false), Floats(2, 7, 8)),
        new("batchnorm1d", () => Trained(nn.BatchNorm1d(6), 6), Floats(6)),
        new("batchnorm1d_3d_input", () => Trained(nn.BatchNorm1d(6), 6, 5), Floats(6, 5)),
        new("batchnorm2d", () => Trained(nn.BatchNorm2d(3), 3, 5, 5), Floats(3, 5, 5)),
        new("batchnorm2d_not_affine", () => Trained(nn.BatchNorm2d(3, affine: false), 3, 4, 4), Floats(3, 4, 4)),
        new("layernorm", () => Perturbed(nn.LayerNorm(8)), Floats(4, 8)),
        new("layernorm_2d_shape_no_bias", () => Perturbed(nn.LayerNorm([4, 8], bias: false)), Floats(4, 8)),
        new("layernorm_not_affine", () => nn.LayerNorm(8, elementwise_affine: false), Floats(3, 8)),
        new("embedding", () => nn.Embedding(20, 6), batch => randint(0, 20, [batch, 5], dtype: ScalarType.Int64)),
        new("dropout", () => nn.Dropout(0.5), Floats(7)),
        new("flatten", () => nn.Flatten(), Floats(2, 3, 4)),
        new("flatten_inner_dims", () => nn.Flatten(1, 2), Floats(2, 3, 4)),
        new("flatten_trailing_dims", () => nn.Flatten(2), Floats(2, 3, 4)),
        new("maxpool2d", () => nn.MaxPool2d(3, stride: 2, padding: 1), Floats(2, 9, 9)),
        new("maxpool2d_ceil_mode", () => nn.MaxPool2d(2, ceil_mode: true), Floats(2, 7, 7)),
        new("avgpool2d", () => nn.AvgPool2d(3, stride: 2, padding: 1), Floats(2, 9, 9)),
        new("avgpool2d_exclude_pad", () => nn.AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false), Floats(2, 9, 9)),
        new("adaptiveavgpool2d_global", () => nn.AdaptiveAvgPool2d(1), Floats(3, 5, 7)),
        new("adaptiveavgpool2d_2x3", () => nn.AdaptiveAvgPool2d((2, 3)), Floats(3, 4, 6)),
        new("relu", () => nn.ReLU(), Floats(9)),
        new("gelu", () => nn.GELU(), Floats(9)),
        new("gelu_tanh", () => nn.GELU(GELU.Approximate.tanh), Floats(9)),
        new("silu", () => nn.SiLU(), Floats(9)),
        new("tanh", () => nn.Tanh(), Floats(9)),
        new("sigmoid", () => nn.Sigmoid(), Floats(9)),
        new("softmax", () => nn.Softmax(1), Floats(9)),
        new("logsoftmax_last_dim", () => nn.LogSoftmax(-1), Floats(3, 9)),
        new("identity", () => nn.Identity(), Floats(4)),
        new("sequential", () => nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.GELU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Dropout(0.2), nn.Linear(36, 8), nn.LayerNorm(8), nn.SiLU(), nn.Linear(8, 3), nn.LogSoftmax(1)), Floats(1, 8, 8)),
        new("digits_mlp", () => new DigitsMlp(), batch => rand(batch, 784)),
        new("digits_cnn", () => new DigitsCnn(), batch => rand(batch, 1, 28, 28)),
        new("residual_block", () => nn.Sequential(new ResidualBlock(6), nn.ReLU(), new ResidualBlock(6)), Floats(6), ResidualBlock.Exporters()),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }

    public static Case Named(string name) => All.Single(c => c.Name == name);

    // Running statistics away from 0 and 1, and non-trivial affine weights, so that the export must carry them.
    static nn.Module<Tensor, Tensor> Trained(nn.Module<Tensor, Tensor> norm, params long[] sample)
    {
        norm.train();
        using (no_grad())
            for (int i = 0; i < 5; i++)
            {
                using var x = randn([16, .. sample]) * 3 + 2;
                using var _ = norm.call(x);
            }
        return Perturbed(norm);
    }

    static nn.Module<Tensor, Tensor> Perturbed(nn.Module<Tensor, Tensor> module)
    {
        using (no_grad())
            foreach (var p in module.parameters()) p.add_(randn_like(p) * 0.5);
        return module;
    }
}

/// <summary>A user's module without a built-in exporter: y = x + body(x), body = Linear, ReLU, Linear.</summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    readonly Sequential body;

    public ResidualBlock(long features) : base(nameof(ResidualBlock))
    {
        body = nn.Sequential(nn.Linear(features, features), nn.ReLU(), nn.Linear(features, features));
        RegisterComponents();
    }

    public Sequential Body => body;

    public override Tensor forward(Tensor input) => input + body.call(input);

    /// <summary>The default exporters plus this block's: the sum of the input and the exported body.</summary>
    public static OnnxExporterRegistry Exporters() => OnnxExporterRegistry.CreateDefault()
        .Register<ResidualBlock>((graph, block, x) => graph.Node("Add", [x.Name, graph.Module(block.Body, x).Name]));
}
