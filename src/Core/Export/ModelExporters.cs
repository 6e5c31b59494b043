using TorchSharp.Modules;
using Unified.Core.Models;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>Built-in exporters of containers and of Unified's own digits models (whose forwards call functional ops).</summary>
static class ModelExporters
{
    public static void AddTo(OnnxExporterRegistry registry) => registry
        .Register<Sequential>(Sequential)
        .Register<DigitsMlp>(Mlp)
        .Register<DigitsCnn>(Cnn);

    static string Sequential(OnnxGraph g, Sequential m, OnnxValue x)
    {
        foreach (var (_, child) in m.named_children())
            x = g.Module(child as nn.Module<Tensor, Tensor> ?? throw g.Unsupported(child, "it is not a Module<Tensor, Tensor>"), x);
        return x.Name;
    }

    // Mirrors DigitsMlp.forward: fc1, ReLU, fc2.
    static string Mlp(OnnxGraph g, DigitsMlp m, OnnxValue x)
    {
        var hidden = g.Module(Child(m, "fc1"), x);
        var activated = hidden with { Name = g.Node("Relu", [hidden.Name]) };
        return g.Module(Child(m, "fc2"), activated).Name;
    }

    // Mirrors DigitsCnn.forward: conv, ReLU, max-pool 2, twice, then flatten and the linear layer.
    static string Cnn(OnnxGraph g, DigitsCnn m, OnnxValue x)
    {
        foreach (string conv in new[] { "conv1", "conv2" })
        {
            var c = g.Module(Child(m, conv), x);
            string pooled = g.Node("MaxPool", [g.Node("Relu", [c.Name])], OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2));
            x = g.Value(pooled, c, t => nn.functional.max_pool2d(t, 2));
        }
        var flat = g.Value(g.Node("Flatten", [x.Name], OnnxAttribute.Int("axis", 1)), x, t => t.flatten(1));
        return g.Module(Child(m, "fc"), flat).Name;
    }

    static nn.Module<Tensor, Tensor> Child(nn.Module parent, string name) =>
        parent.named_children().First(c => c.name == name).module as nn.Module<Tensor, Tensor>
        ?? throw new InvalidOperationException($"{parent.GetType().Name}.{name} is not a Module<Tensor, Tensor>.");
}
