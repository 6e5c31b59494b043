using Unified.Core.Export;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>Lightning's <c>to_onnx</c>: exports a module's network through Core's <see cref="OnnxExporter"/>.</summary>
public static class LightningModuleExportExtensions
{
    /// <summary>
    /// Writes the module's network as an ONNX model to <paramref name="path"/>, as Lightning's
    /// <c>module.to_onnx(file_path, input_sample)</c>: <paramref name="inputSample"/> is one batch, whose dimensions
    /// after the first (the dynamic batch axis) are fixed in the model.
    /// </summary>
    /// <example><code>module.ToOnnx("model.onnx", torch.zeros(1, 784));</code></example>
    /// <exception cref="OnnxExportException">A layer of the network has no exporter; the message names it and how to register one.</exception>
    public static OnnxExportResult ToOnnx(this LightningModule module, string path, Tensor inputSample, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var network = module.Network as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"ToOnnx exports a network that maps a tensor to a tensor; {module.GetType().Name}'s network is a {module.Network.GetType().Name}.", nameof(module));
        return OnnxExporter.Export(network, inputSample, path, options);
    }
}
