namespace Unified.Serving;

/// <summary>Opens the predictor that <see cref="ServingOptions"/> names.</summary>
public static class Predictors
{
    /// <summary>An <c>.onnx</c> file through ONNX Runtime; anything else is a checkpoint of <see cref="ServingOptions.Architecture"/> through TorchSharp.</summary>
    /// <exception cref="ArgumentException">A checkpoint without an architecture, or an architecture given for an ONNX model.</exception>
    public static IPredictor Open(ServingOptions options)
    {
        bool onnx = options.ModelPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        if (onnx && options.Architecture is not null)
            throw new ArgumentException($"'{options.ModelPath}' is an ONNX model, which carries its own graph; drop the architecture ('{options.Architecture}'), which only checkpoints need.");
        if (onnx) return new OnnxPredictor(options.ModelPath, options.Threads);
        if (options.Architecture is null)
            throw new ArgumentException($"'{options.ModelPath}' is not an .onnx file, so it is served as a checkpoint, which needs its architecture (mlp or cnn); or export it first with 'unified export'.");
        return new TorchPredictor(options.ModelPath, options.Architecture, options.Threads);
    }
}
