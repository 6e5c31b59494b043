namespace Unified.Serving;

/// <summary>A loaded model that maps rows of inputs to rows of class scores (logits). Thread-safe.</summary>
public interface IPredictor : IDisposable
{
    /// <summary>What is served, for /health and the logs (e.g. <c>onnx model.onnx</c>).</summary>
    string Description { get; }

    /// <summary>The shape of one input row, without the batch axis (<c>[784]</c>, <c>[1, 28, 28]</c>).</summary>
    IReadOnlyList<long> SampleShape { get; }

    /// <summary>The number of values in one input row (the product of <see cref="SampleShape"/>).</summary>
    int SampleLength { get; }

    /// <summary>Scores for <paramref name="rows"/> rows laid out one after another in <paramref name="data"/>; returns rows x classes values.</summary>
    float[] Predict(float[] data, int rows, out int classes);
}
