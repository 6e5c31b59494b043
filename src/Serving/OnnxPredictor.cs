using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Unified.Serving;

/// <summary>
/// Runs an ONNX model through ONNX Runtime. The model must read one float32 input of shape [batch, ...] (every other
/// dimension fixed) and write one float32 output of shape [batch, classes], as <c>unified export</c> writes them.
/// <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so concurrent calls need no lock.
/// </summary>
public sealed class OnnxPredictor : IPredictor
{
    readonly InferenceSession session;
    readonly string inputName, outputName;
    readonly long[] sampleShape;

    /// <summary>Loads <paramref name="path"/>; <paramref name="threads"/> sets ONNX Runtime's intra-op threads.</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model of the expected form.</exception>
    public OnnxPredictor(string path, int? threads = null)
    {
        using var options = new SessionOptions();
        if (threads is int n) options.IntraOpNumThreads = n;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model that ONNX Runtime can load: {e.Message}", e);
        }
        try
        {
            if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
                throw new InvalidDataException($"'{path}' has {session.InputMetadata.Count} inputs and {session.OutputMetadata.Count} outputs; serving needs one of each.");
            var (input, output) = (session.InputMetadata.Single(), session.OutputMetadata.Single());
            if (input.Value.ElementDataType != TensorElementType.Float || output.Value.ElementDataType != TensorElementType.Float)
                throw new InvalidDataException($"'{path}' reads {input.Value.ElementDataType} and writes {output.Value.ElementDataType}; serving needs float32 in and out.");
            int[] dims = input.Value.Dimensions;
            if (dims.Length < 2 || dims.Skip(1).Any(d => d <= 0))
                throw new InvalidDataException($"'{path}' input '{input.Key}' has shape [{string.Join(", ", dims)}]; serving needs [batch, fixed dimensions...].");
            if (output.Value.Dimensions.Length != 2)
                throw new InvalidDataException($"'{path}' output '{output.Key}' has rank {output.Value.Dimensions.Length}; serving needs [batch, classes].");
            (inputName, outputName) = (input.Key, output.Key);
            sampleShape = dims.Skip(1).Select(d => (long)d).ToArray();
        }
        catch
        {
            session.Dispose();
            throw;
        }
        SampleLength = (int)sampleShape.Aggregate(1L, (a, b) => a * b);
        Description = $"onnx {Path.GetFileName(path)}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyList<long> SampleShape => sampleShape;

    /// <inheritdoc />
    public int SampleLength { get; }

    /// <inheritdoc />
    public float[] Predict(float[] data, int rows, out int classes)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(data, [rows, .. sampleShape]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
        classes = (int)outputs[0].GetTensorTypeAndShape().Shape[1];
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
