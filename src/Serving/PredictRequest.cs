namespace Unified.Serving;

/// <summary>The body of <c>POST /predict</c>: rows of input values, each row one sample flattened (784 values for a digit).</summary>
/// <param name="Data">The rows.</param>
public sealed record PredictRequest(IReadOnlyList<IReadOnlyList<float>> Data);
