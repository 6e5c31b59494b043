using TorchSharp.Modules;

namespace Unified.Core.Export;

/// <summary>Built-in exporters of Flatten and the 2-D pooling layers.</summary>
static class ShapeExporters
{
    public static void AddTo(OnnxExporterRegistry registry) => registry
        .Register<Flatten>(Flatten)
        .Register<MaxPool2d>(MaxPool)
        .Register<AvgPool2d>(AvgPool)
        .Register<AdaptiveAvgPool2d>(AdaptiveAvgPool);

    static string Flatten(OnnxGraph g, Flatten m, OnnxValue x)
    {
        long start = m.start_dim < 0 ? m.start_dim + x.Rank : m.start_dim, end = m.end_dim < 0 ? m.end_dim + x.Rank : m.end_dim;
        if (start == 0) throw g.Unsupported(m, "start_dim 0 would merge the batch axis, which the exported model keeps dynamic");
        if (start > end) throw g.Unsupported(m, $"start_dim {m.start_dim} comes after end_dim {m.end_dim} for a rank-{x.Rank} input");
        if (start == 1 && end == x.Rank - 1) return g.Node("Flatten", [x.Name], OnnxAttribute.Int("axis", 1));
        // Reshape's 0 copies a dimension (the dynamic batch among them); -1 takes the merged ones; later ones are static.
        var shape = Enumerable.Repeat(0L, (int)start).Append(-1L).Concat(x.Shape.Skip((int)end + 1)).ToArray();
        return g.Node("Reshape", [x.Name, g.Constant("shape", shape)]);
    }

    static string MaxPool(OnnxGraph g, MaxPool2d m, OnnxValue x)
    {
        long[] kernel = Pair(m.kernel_size, 0);
        long[] padding = Pair(m.padding, 0);
        return g.Node("MaxPool", [x.Name], OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", Pair(m.stride, kernel)),
            OnnxAttribute.Ints("pads", [.. padding, .. padding]), OnnxAttribute.Ints("dilations", Pair(m.dilation, 1)),
            OnnxAttribute.Int("ceil_mode", m.ceil_mode ? 1 : 0));
    }

    static string AvgPool(OnnxGraph g, AvgPool2d m, OnnxValue x)
    {
        if (m.divisor_override is not null) throw g.Unsupported(m, "divisor_override has no ONNX equivalent");
        long[] kernel = Pair(m.kernel_size, 0);
        long[] padding = Pair(m.padding, 0);
        return g.Node("AveragePool", [x.Name], OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", Pair(m.stride, kernel)),
            OnnxAttribute.Ints("pads", [.. padding, .. padding]), OnnxAttribute.Int("count_include_pad", m.count_include_pad ? 1 : 0),
            OnnxAttribute.Int("ceil_mode", m.ceil_mode ? 1 : 0));
    }

    static string AdaptiveAvgPool(OnnxGraph g, AdaptiveAvgPool2d m, OnnxValue x)
    {
        if (x.Rank != 4) throw g.Unsupported(m, $"its input has rank {x.Rank}; a batched 2-D pool reads rank 4");
        long[] output = Pair(m.output_size, 0);
        long height = x.Shape[2], width = x.Shape[3];
        if (output[0] == 1 && output[1] == 1) return g.Node("GlobalAveragePool", [x.Name]);
        // Equal, non-overlapping windows when the output size divides the input's; other sizes have uneven windows.
        if (height % output[0] != 0 || width % output[1] != 0)
            throw g.Unsupported(m, $"output size {output[0]}x{output[1]} does not divide the input's {height}x{width}, and uneven adaptive windows have no ONNX operator");
        long[] kernel = [height / output[0], width / output[1]];
        return g.Node("AveragePool", [x.Name], OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", kernel));
    }

    static long[] Pair(long[]? values, long fallback) => Pair(values, [fallback, fallback]);

    static long[] Pair(long[]? values, long[] fallback) => values switch
    {
        null or [] => fallback,
        [long single] => [single, single],
        _ => values,
    };
}
