using System.Globalization;
using System.Text;
using Unified.Core.Checkpointing;

namespace Unified.Cli.Evaluate;

/// <summary>The predicted class, its probability and the true label of every sample of a split, in order.</summary>
/// <param name="Classes">Argmax of the probabilities.</param>
/// <param name="Confidences">The probability of the predicted class.</param>
/// <param name="Labels">The split's labels.</param>
public sealed record Predictions(IReadOnlyList<long> Classes, IReadOnlyList<float> Confidences, IReadOnlyList<long> Labels)
{
    /// <summary>Share of samples whose prediction is their label.</summary>
    public double Accuracy => Classes.Count == 0 ? double.NaN : Classes.Where((c, i) => c == Labels[i]).Count() / (double)Classes.Count;

    /// <summary>
    /// Writes <c>index,prediction,confidence,label</c> rows to <paramref name="path"/> atomically (a temporary file,
    /// then a rename), so that a failure leaves no half-written file.
    /// </summary>
    public void WriteCsv(string path) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine("index,prediction,confidence,label");
        for (int i = 0; i < Classes.Count; i++)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i},{Classes[i]},{Confidences[i]:R},{Labels[i]}"));
    });
}
