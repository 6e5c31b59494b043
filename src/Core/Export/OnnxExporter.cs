using System.Reflection;
using Google.Protobuf;
using Onnx;
using Unified.Core.Checkpointing;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// Exports a TorchSharp module tree to an ONNX model file: walks the modules through an <see cref="OnnxExporterRegistry"/>,
/// writes the weights as initializers under their state-dict names, and leaves dimension 0 (the batch) dynamic.
/// The module is exported as in evaluation mode (dropout off, batch norm on its running statistics); its training
/// flags are restored afterwards. TorchSharp has no ONNX export of its own, hence this one.
/// </summary>
/// <example><code>
/// var result = OnnxExporter.Export(new DigitsMlp(), torch.zeros(1, 784), "mlp.onnx");
/// // then, e.g. with ONNX Runtime: new InferenceSession("mlp.onnx")
/// </code></example>
public static class OnnxExporter
{
    /// <summary>
    /// Writes <paramref name="module"/> as ONNX to <paramref name="path"/> (atomically). <paramref name="inputSample"/> is
    /// one input batch (float32, or int64 indices for an embedding): its shape beyond dimension 0 is fixed in the model.
    /// </summary>
    /// <exception cref="OnnxExportException">A module in the tree has no exporter, or cannot export as configured; the message names its type and path.</exception>
    public static OnnxExportResult Export(nn.Module<Tensor, Tensor> module, Tensor inputSample, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputSample);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var (bytes, result) = Build(module, inputSample, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, stream => stream.Write(bytes));
        return result with { Path = path };
    }

    /// <summary>As <see cref="Export"/>, but returns the serialized model instead of writing a file.</summary>
    public static byte[] ToBytes(nn.Module<Tensor, Tensor> module, Tensor inputSample, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputSample);
        return Build(module, inputSample, options ?? new OnnxExportOptions()).Bytes;
    }

    static (byte[] Bytes, OnnxExportResult Result) Build(nn.Module<Tensor, Tensor> module, Tensor inputSample, OnnxExportOptions options)
    {
        options.Validate();
        if (inputSample.dim() < 1)
            throw new ArgumentException("The input sample needs a batch dimension first (e.g. torch.zeros(1, 784)).", nameof(inputSample));
        if (inputSample.dtype is not (ScalarType.Float32 or ScalarType.Int64))
            throw new ArgumentException($"The input sample is {inputSample.dtype}; pass float32 (or int64 indices for an embedding).", nameof(inputSample));

        var modes = new List<(nn.Module Module, bool Training)> { (module, module.training) };
        modes.AddRange(module.modules().Select(m => (m, m.training)));
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var graph = new OnnxGraph(module, options.Exporters, options.Opset);
            var input = graph.AddInput(options.InputName, inputSample.shape, inputSample.dtype, options.BatchAxis);
            var output = graph.Module(module, input);
            graph.AddOutput(output, options.OutputName, options.BatchAxis);
            var model = new ModelProto
            {
                IrVersion = IrVersion(options.Opset),
                ProducerName = "Unified",
                ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
                Graph = graph.Proto,
                OpsetImport = { new OperatorSetIdProto { Domain = "", Version = options.Opset } },
            };
            var result = new OnnxExportResult("", options.Opset,
                [Info(options.InputName, input, options.BatchAxis)], [Info(options.OutputName, output, options.BatchAxis)]);
            return (model.ToByteArray(), result);
        }
        finally
        {
            foreach (var (m, training) in modes) m.train(training);
        }
    }

    // The IR version that introduced each operator set (onnx/helper.py's VERSION_TABLE).
    static long IrVersion(int opset) => opset switch { <= 18 => 8, <= 20 => 9, _ => 10 };

    static OnnxTensorInfo Info(string name, OnnxValue value, string batchAxis) =>
        new(name, OnnxTypes.Name(value.Type), value.Shape.Select((d, i) => i == 0 ? (long?)null : d).ToArray(), batchAxis);
}
