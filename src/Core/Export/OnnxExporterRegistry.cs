using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// Which exporter handles which module type, matched by the exact runtime type. <see cref="CreateDefault"/> holds
/// Unified's built-in layers and models; register your own module types on it (or replace a built-in) before exporting.
/// </summary>
/// <example><code>
/// var exporters = OnnxExporterRegistry.CreateDefault()
///     .Register&lt;Residual&gt;((graph, block, x) => graph.Node("Add", [x.Name, graph.Module(block.Body, x).Name]));
/// OnnxExporter.Export(model, sample, "model.onnx", new OnnxExportOptions { Exporters = exporters });
/// </code></example>
public sealed class OnnxExporterRegistry
{
    readonly Dictionary<Type, Func<OnnxGraph, nn.Module<Tensor, Tensor>, OnnxValue, string>> exporters = [];

    /// <summary>A registry with the built-in exporters: Sequential, Linear, Conv1d/2d, BatchNorm1d/2d, LayerNorm, Embedding,
    /// Dropout, Flatten, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax,
    /// Identity, and the digits MLP and CNN.</summary>
    public static OnnxExporterRegistry CreateDefault()
    {
        var registry = new OnnxExporterRegistry();
        LayerExporters.AddTo(registry);
        ActivationExporters.AddTo(registry);
        ShapeExporters.AddTo(registry);
        ModelExporters.AddTo(registry);
        return registry;
    }

    /// <summary>Says how modules of exactly type <typeparamref name="TModule"/> export (replacing any exporter registered for it).</summary>
    /// <returns>This registry, for chaining.</returns>
    public OnnxExporterRegistry Register<TModule>(OnnxModuleExport<TModule> export) where TModule : nn.Module<Tensor, Tensor>
    {
        ArgumentNullException.ThrowIfNull(export);
        exporters[typeof(TModule)] = (graph, module, input) => export(graph, (TModule)module, input);
        return this;
    }

    /// <summary>Whether an exporter is registered for exactly <paramref name="moduleType"/>.</summary>
    public bool IsRegistered(Type moduleType) => exporters.ContainsKey(moduleType);

    internal Func<OnnxGraph, nn.Module<Tensor, Tensor>, OnnxValue, string>? Find(Type moduleType) => exporters.GetValueOrDefault(moduleType);
}
