namespace Unified.Serving;

/// <summary>The class scores (logits) of some rows, row after row.</summary>
/// <param name="Values">Rows x classes values.</param>
/// <param name="Rows">The number of rows.</param>
/// <param name="Classes">The number of classes.</param>
public sealed record Scores(float[] Values, int Rows, int Classes)
{
    /// <summary>Each row's highest-scoring class and its softmax probability.</summary>
    public PredictResponse ToResponse()
    {
        var predictions = new int[Rows];
        var confidences = new double[Rows];
        for (int r = 0; r < Rows; r++)
        {
            var row = Values.AsSpan(r * Classes, Classes);
            int best = 0;
            for (int c = 1; c < Classes; c++) if (row[c] > row[best]) best = c;
            double sum = 0;
            foreach (float v in row) sum += Math.Exp(v - row[best]); // softmax, shifted by the max for stability
            predictions[r] = best;
            confidences[r] = 1 / sum;
        }
        return new PredictResponse(predictions, confidences);
    }
}
