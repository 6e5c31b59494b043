using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>Built-in exporters of the layers that own weights: Linear, Conv1d/2d, BatchNorm1d/2d, LayerNorm, Embedding.</summary>
static class LayerExporters
{
    public static void AddTo(OnnxExporterRegistry registry) => registry
        .Register<Linear>(Linear)
        .Register<Conv1d>((g, m, x) => Convolution(g, m, x, 1))
        .Register<Conv2d>((g, m, x) => Convolution(g, m, x, 2))
        .Register<BatchNorm1d>(BatchNorm)
        .Register<BatchNorm2d>(BatchNorm)
        .Register<LayerNorm>(LayerNorm)
        .Register<Embedding>(Embedding);

    static string Linear(OnnxGraph g, Linear m, OnnxValue x)
    {
        string weight = g.Parameter(m, "weight");
        string? bias = g.OptionalParameter(m, "bias");
        if (x.Rank == 2)
            return g.Node("Gemm", bias is null ? [x.Name, weight] : [x.Name, weight, bias], OnnxAttribute.Int("transB", 1));
        // Gemm is 2-D only; for [batch, ..., features] multiply by the transposed weight and broadcast the bias.
        string product = g.Node("MatMul", [x.Name, g.Node("Transpose", [weight], OnnxAttribute.Ints("perm", 1, 0))]);
        return bias is null ? product : g.Node("Add", [product, bias]);
    }

    static string Convolution(OnnxGraph g, Convolution m, OnnxValue x, int spatial)
    {
        if (m.padding_mode != PaddingModes.Zeros)
            throw g.Unsupported(m, $"padding_mode {m.padding_mode} does not export; only zeros padding does");
        if (x.Rank != spatial + 2)
            throw g.Unsupported(m, $"its input has rank {x.Rank}; a batched {spatial}-D convolution reads rank {spatial + 2}");
        long[] kernel = m.kernel_size, stride = m.stride, dilation = m.dilation;
        var pads = new long[2 * spatial];
        for (int i = 0; i < spatial; i++)
        {
            if (m.padding_type == Padding.Same)
            {
                // PyTorch's padding='same' puts the odd element of the total padding at the end, as SAME_UPPER does.
                long total = dilation[i] * (kernel[i] - 1);
                pads[i] = total / 2;
                pads[i + spatial] = total - total / 2;
            }
            else if (m.padding_type != Padding.Valid)
            {
                pads[i] = pads[i + spatial] = m.padding?[i] ?? 0;
            }
        }
        string weight = g.Parameter(m, "weight");
        string? bias = g.OptionalParameter(m, "bias");
        return g.Node("Conv", bias is null ? [x.Name, weight] : [x.Name, weight, bias],
            OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", stride), OnnxAttribute.Ints("pads", pads),
            OnnxAttribute.Ints("dilations", dilation), OnnxAttribute.Int("group", m.groups));
    }

    static string BatchNorm(OnnxGraph g, BatchNorm m, OnnxValue x)
    {
        if (!m.track_running_stats || m.running_mean is null || m.running_var is null)
            throw g.Unsupported(m, "it has no running statistics (track_running_stats: false), so in evaluation it normalises by each batch's own statistics, which an inference graph does not reproduce");
        var ones = Enumerable.Repeat(1f, (int)m.num_features).ToArray();
        string scale = m.affine ? g.Parameter(m, "weight") : g.Constant("scale", ones);
        string bias = m.affine ? g.Parameter(m, "bias") : g.Constant("bias", new float[m.num_features]);
        return g.Node("BatchNormalization", [x.Name, scale, bias, g.Parameter(m, "running_mean"), g.Parameter(m, "running_var")],
            OnnxAttribute.Float("epsilon", (float)m.eps));
    }

    static string LayerNorm(OnnxGraph g, LayerNorm m, OnnxValue x)
    {
        long[] shape = m.normalized_shape;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        string scale = g.OptionalParameter(m, "weight") ?? g.Constant("scale", Enumerable.Repeat(1f, (int)count).ToArray(), shape);
        string? bias = g.OptionalParameter(m, "bias");
        return g.Node("LayerNormalization", bias is null ? [x.Name, scale] : [x.Name, scale, bias],
            OnnxAttribute.Int("axis", -shape.Length), OnnxAttribute.Float("epsilon", (float)m.eps));
    }

    // max_norm lives in libtorch's native module, out of reach: a renormalising embedding exports its current weights.
    static string Embedding(OnnxGraph g, Embedding m, OnnxValue x)
    {
        if (x.Type is not (ScalarType.Int64 or ScalarType.Int32))
            throw g.Unsupported(m, $"its input is {x.Type}; an embedding reads int64 indices");
        return g.Node("Gather", [g.Parameter(m, "weight"), x.Name], OnnxAttribute.Int("axis", 0));
    }
}
