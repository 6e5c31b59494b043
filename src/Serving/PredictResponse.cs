namespace Unified.Serving;

/// <summary>The answer of <c>POST /predict</c>: per row, the predicted class and its softmax probability.</summary>
/// <param name="Predictions">The highest-scoring class of each row.</param>
/// <param name="Confidences">Its probability under a softmax of the row's scores.</param>
public sealed record PredictResponse(IReadOnlyList<int> Predictions, IReadOnlyList<double> Confidences);
