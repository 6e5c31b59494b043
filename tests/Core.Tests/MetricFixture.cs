using System.Text.Json.Nodes;
using Unified.Core.Metrics;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

// Inside Unified.Core.*, the namespace Unified.Core.Precision hides the metric; this alias names the metric.

/// <summary>
/// The scikit-learn fixture written by scripts/fixtures/make_metric_fixtures.py: named inputs (fed in the listed batch
/// sizes) and cases (a metric, its options and the expected value). Builds each case's metric and feeds it.
/// </summary>
internal sealed class MetricFixture
{
    static readonly Lazy<MetricFixture> Shared = new(() => new MetricFixture(Path.Combine(AppContext.BaseDirectory, "Fixtures", "metrics.json")));

    readonly JsonObject inputs;

    MetricFixture(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        inputs = root["inputs"]!.AsObject();
        Cases = root["cases"]!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!, StringComparer.Ordinal);
    }

    public static MetricFixture Instance => Shared.Value;

    public IReadOnlyDictionary<string, JsonObject> Cases { get; }

    /// <summary>The case's metric, built from its options through the public constructors.</summary>
    public static Metric Create(JsonObject c)
    {
        string metric = (string)c["metric"]!;
        return metric switch
        {
            "accuracy" => new Accuracy(Task(c), (int?)c["top_k"] ?? 1),
            "precision" => new Precision(Task(c), Average(c), (double)c["zero_division"]!),
            "recall" => new Recall(Task(c), Average(c), (double)c["zero_division"]!),
            "f1" => new F1(Task(c), Average(c), (double)c["zero_division"]!),
            "fbeta" => new FBeta((double)c["beta"]!, Task(c), Average(c), (double)c["zero_division"]!),
            "confusion_matrix" => new ConfusionMatrix(Task(c), Normalization((string?)c["normalize"])),
            "mean_squared_error" => new MeanSquaredError(),
            "mean_absolute_error" => new MeanAbsoluteError(),
            "r2" => new R2Score((int)c["outputs"]!, Multioutput((string)c["multioutput"]!)),
            "loss_mse" => new Loss((p, y) => nn.functional.mse_loss(p, y)),
            "loss_cross_entropy" => new Loss((p, y) => nn.functional.cross_entropy(p, y)),
            "mean" or "mean_weighted" => new Mean(),
            "running_accuracy" => new RunningAverage(new Accuracy(Task(c)), (double)c["alpha"]!),
            "running_output" => new RunningAverage((double)c["alpha"]!),
            _ => throw new InvalidDataException($"The fixture names an unknown metric '{metric}'."),
        };
    }

    /// <summary>Whether the case's value depends on how the input is split into batches.</summary>
    public static bool DependsOnBatches(JsonObject c) => ((string)c["metric"]!).StartsWith("running_", StringComparison.Ordinal);

    /// <summary>Feeds the case's input to <paramref name="metric"/>, in the fixture's batches or in one piece.</summary>
    public void Feed(JsonObject c, Metric metric, bool inBatches)
    {
        var input = inputs[(string)c["input"]!]!.AsObject();
        using var predictions = Tensor(input["predictions"]!.AsObject());
        using var targets = Tensor(input["targets"]!.AsObject());
        var sizes = inBatches ? input["batches"]!.AsArray().Select(b => (long)b!).ToArray() : [predictions.shape[0]];
        long offset = 0;
        foreach (long size in sizes)
        {
            using var p = predictions.narrow(0, offset, size);
            using var t = targets.narrow(0, offset, size);
            offset += size;
            switch ((string)c["metric"]!, metric)
            {
                case ("mean", Mean mean): mean.Update(p); break;
                case ("running_output", RunningAverage running): running.Update(p); break;
                default: metric.Update(p, t); break;
            }
        }
    }

    /// <summary>The expected value, flattened, with its shape (empty for a scalar).</summary>
    public static (double[] Values, long[] Shape) Expected(JsonObject c)
    {
        var node = c["expected"]!;
        var shape = new List<long>();
        for (var n = node; n is JsonArray a; n = a[0]) shape.Add(a.Count);
        var values = new List<double>();
        Flatten(node, values);
        return (values.ToArray(), shape.ToArray());
    }

    static void Flatten(JsonNode node, List<double> values)
    {
        if (node is JsonArray array) foreach (var item in array) Flatten(item!, values);
        else values.Add((double)node);
    }

    static Tensor Tensor(JsonObject array)
    {
        var data = array["data"]!.AsArray().Select(v => (double)v!).ToArray();
        var shape = array["shape"]!.AsArray().Select(v => (long)v!).ToArray();
        var dtype = (string)array["dtype"]! switch
        {
            "float32" => ScalarType.Float32,
            "float64" => ScalarType.Float64,
            "int64" => ScalarType.Int64,
            "bool" => ScalarType.Bool,
            var other => throw new InvalidDataException($"The fixture uses an unknown dtype '{other}'."),
        };
        using var values = tensor(data, ScalarType.Float64);
        return values.reshape(shape).to_type(dtype);
    }

    static ClassificationTask Task(JsonObject c)
    {
        double threshold = (double?)c["threshold"] ?? 0.5;
        int classes = (int)c["num_classes"]!;
        return (string)c["task"]! switch
        {
            "binary" => ClassificationTask.Binary(threshold),
            "multiclass" => ClassificationTask.Multiclass(classes),
            "multilabel" => ClassificationTask.Multilabel(classes, threshold),
            var other => throw new InvalidDataException($"The fixture uses an unknown task '{other}'."),
        };
    }

    static Average? Average(JsonObject c) => c["average"] is JsonNode average ? Averages.Parse((string)average!) : null;

    static ConfusionMatrixNormalization Normalization(string? text) => text switch
    {
        null or "none" => ConfusionMatrixNormalization.None,
        "true" => ConfusionMatrixNormalization.True,
        "pred" => ConfusionMatrixNormalization.Pred,
        "all" => ConfusionMatrixNormalization.All,
        _ => throw new InvalidDataException($"The fixture uses an unknown normalization '{text}'."),
    };

    static R2Multioutput Multioutput(string text) => text switch
    {
        "uniform_average" => R2Multioutput.UniformAverage,
        "variance_weighted" => R2Multioutput.VarianceWeighted,
        "raw_values" => R2Multioutput.RawValues,
        _ => throw new InvalidDataException($"The fixture uses an unknown multioutput mode '{text}'."),
    };
}
