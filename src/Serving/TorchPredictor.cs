using Unified.Core.Export;
using Unified.Core.Runtime;
using static TorchSharp.torch;

namespace Unified.Serving;

/// <summary>
/// Runs a digits model loaded from a Unified checkpoint through TorchSharp, in evaluation mode without gradients.
/// Calls are serialised: one module is not shared by concurrent forwards (dispose scopes are per thread, and libtorch
/// already spreads one forward over its intra-op threads).
/// </summary>
public sealed class TorchPredictor : IPredictor
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly long[] sampleShape;
    readonly object gate = new();

    /// <summary>Loads the <paramref name="architecture"/> model's weights from <paramref name="checkpoint"/>.</summary>
    public TorchPredictor(string checkpoint, string architecture, int? threads = null)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = threads });
        model = CheckpointModel.Load(checkpoint, architecture);
        sampleShape = CheckpointModel.SampleShape(architecture);
        SampleLength = (int)sampleShape.Aggregate(1L, (a, b) => a * b);
        Description = $"torchsharp {architecture} {Path.GetFileName(checkpoint)}";
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
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = model.call(tensor(data, [rows, .. sampleShape]));
            classes = (int)output.shape[1];
            return output.data<float>().ToArray();
        }
    }

    /// <inheritdoc />
    public void Dispose() => model.Dispose();
}
