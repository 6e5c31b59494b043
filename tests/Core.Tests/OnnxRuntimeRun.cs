using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Runs an ONNX model through ONNX Runtime on a TorchSharp tensor and returns the output as a tensor.</summary>
public static class OnnxRuntimeRun
{
    public static Tensor Run(InferenceSession session, Tensor input)
    {
        using var contiguous = input.contiguous();
        long[] shape = input.shape;
        using var value = input.dtype == ScalarType.Int64
            ? OrtValue.CreateTensorValueFromMemory(contiguous.data<long>().ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(contiguous.data<float>().ToArray(), shape);
        using var options = new RunOptions();
        using var outputs = session.Run(options, new Dictionary<string, OrtValue> { [session.InputNames[0]] = value }, session.OutputNames);
        var output = outputs[0];
        return torch.tensor(output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }
}
