using Unified.Core.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

// Inside Unified.Core.*, the namespace Unified.Core.Precision hides the metric; this alias names the metric.

/// <summary>Bad inputs and settings give clear exceptions: shapes and dtypes at once, out-of-range values at compute.</summary>
public sealed class MetricInputValidationTests
{
    static Tensor Labels(params long[] values) => tensor(values);

    [Fact]
    public void Update_WithFloatTargets_ThrowsArgumentNamingTheDtypeAndTheFix()
    {
        using var accuracy = new Accuracy(ClassificationTask.Multiclass(3));

        var e = Assert.Throws<ArgumentException>(() => accuracy.Update(zeros(2, 3), tensor(new[] { 0f, 1f })));

        Assert.Contains("Float32", e.Message);
        Assert.Contains("to_type(ScalarType.Int64)", e.Message);
    }

    [Fact]
    public void Update_WithScoresForAnotherNumberOfClasses_ThrowsArgument()
    {
        using var precision = new Precision(ClassificationTask.Multiclass(3));

        var e = Assert.Throws<ArgumentException>(() => precision.Update(zeros(2, 4), Labels(0, 1)));

        Assert.Contains("scores for 4 classes", e.Message);
    }

    [Fact]
    public void Update_WithMismatchedBinaryShapes_ThrowsArgumentNamingBoth()
    {
        using var recall = new Recall(ClassificationTask.Binary());

        var e = Assert.Throws<ArgumentException>(() => recall.Update(zeros(4, 1), Labels(0, 1, 1, 0)));

        Assert.Contains("[4, 1]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void Update_WithTheWrongNumberOfLabels_ThrowsArgument()
    {
        using var f1 = new F1(ClassificationTask.Multilabel(3), Average.Micro);

        var e = Assert.Throws<ArgumentException>(() => f1.Update(zeros(2, 2), zeros(2, 2, ScalarType.Int64)));

        Assert.Contains("N x 3", e.Message);
    }

    [Fact]
    public void Update_WithIndexPredictionsButNoClassCount_ThrowsArgument()
    {
        using var accuracy = new Accuracy();

        var e = Assert.Throws<ArgumentException>(() => accuracy.Update(Labels(0, 1), Labels(0, 1)));

        Assert.Contains("Multiclass(numClasses)", e.Message);
    }

    [Fact]
    public void Compute_AfterTargetsOutOfRange_ThrowsInvalidOperationCountingThem()
    {
        using var accuracy = new Accuracy(ClassificationTask.Multiclass(3));
        accuracy.Update(zeros(3, 3), Labels(0, 3, -1)); // no throw here: checking would read the device

        var e = Assert.Throws<InvalidOperationException>(() => accuracy.Compute());

        Assert.Contains("2 target class indices outside [0, 3)", e.Message);
    }

    [Fact]
    public void Compute_AfterPredictedIndicesOutOfRange_ThrowsInvalidOperation()
    {
        using var matrix = new ConfusionMatrix(ClassificationTask.Multiclass(3));
        matrix.Update(Labels(0, 5), Labels(0, 1));

        var e = Assert.Throws<InvalidOperationException>(() => matrix.ComputeTensor());

        Assert.Contains("1 predicted class indices outside [0, 3)", e.Message);
    }

    [Fact]
    public void Compute_AfterLogitsGivenAsBinaryProbabilities_ThrowsInvalidOperationSayingApplySigmoid()
    {
        using var precision = new Precision(ClassificationTask.Binary());
        precision.Update(tensor(new[] { -2f, 0.3f, 4f }), Labels(0, 1, 1));

        var e = Assert.Throws<InvalidOperationException>(() => precision.Compute());

        Assert.Contains("2 predictions that are neither probabilities", e.Message);
        Assert.Contains("sigmoid", e.Message);
    }

    [Fact]
    public void Compute_AfterBinaryTargetsOtherThanZeroAndOne_ThrowsInvalidOperation()
    {
        using var accuracy = new Accuracy(ClassificationTask.Binary());
        accuracy.Update(tensor(new[] { 0.2f, 0.9f }), Labels(0, 2));

        var e = Assert.Throws<InvalidOperationException>(() => accuracy.Compute());

        Assert.Contains("1 targets other than 0 and 1", e.Message);
    }

    [Fact]
    public void Reset_ForgetsInvalidInputs()
    {
        using var accuracy = new Accuracy(ClassificationTask.Multiclass(3));
        accuracy.Update(zeros(1, 3), Labels(9));

        accuracy.Reset();
        accuracy.Update(zeros(1, 3), Labels(0));

        Assert.Equal(1.0, accuracy.Compute());
    }

    [Fact]
    public void Update_RejectedBatch_LeavesNoTrace()
    {
        using var accuracy = new Accuracy(ClassificationTask.Multiclass(2));
        accuracy.Update(tensor(new[] { 1f, 0f }).reshape(1, 2), Labels(0));

        Assert.Throws<ArgumentException>(() => accuracy.Update(zeros(2, 2), Labels(0, 1, 1)));

        Assert.Equal(1.0, accuracy.Compute());
        Assert.Equal(1, accuracy.UpdateCount);
    }

    [Fact]
    public void Constructor_WithAnUndefinedAverage_ThrowsArgumentOutOfRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new F1(ClassificationTask.Multiclass(3), (Average)42));

        Assert.Contains("Micro", e.Message);
    }

    [Fact]
    public void AveragesParse_WithAnUnknownName_ThrowsArgumentListingTheModes()
    {
        var e = Assert.Throws<ArgumentException>(() => Averages.Parse("samples"));

        Assert.Contains("micro, macro, weighted or none", e.Message);
        Assert.Equal(Average.Weighted, Averages.Parse(" Weighted "));
    }

    [Fact]
    public void Constructor_WithAnAverageForABinaryTask_ThrowsArgumentPointingToMulticlassTwo()
    {
        var e = Assert.Throws<ArgumentException>(() => new Precision(ClassificationTask.Binary(), Average.Macro));

        Assert.Contains("Multiclass(2)", e.Message);
    }

    [Fact]
    public void Constructor_WithBadSettings_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Recall(ClassificationTask.Multiclass(3), zeroDivision: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FBeta(-1, ClassificationTask.Multiclass(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Accuracy(ClassificationTask.Multiclass(3), topK: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationTask.Binary(threshold: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationTask.Multiclass(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunningAverage(alpha: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new R2Score(outputs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(ClassificationTask.Multiclass(3), (ConfusionMatrixNormalization)9));
    }

    [Fact]
    public void Constructor_WithTopKForABinaryTask_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => new Accuracy(ClassificationTask.Binary(), topK: 2));
    }

    [Fact]
    public void Constructor_PerClassMetricWithoutAClassCount_ThrowsArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => new Precision(ClassificationTask.Multiclass()));

        Assert.Contains("number of classes", e.Message);
    }

    [Fact]
    public void Update_RegressionWithBroadcastingShapes_ThrowsArgument()
    {
        // [N, 1] against [N] would broadcast to N x N and give a plausible, wrong number.
        using var mse = new MeanSquaredError();

        var e = Assert.Throws<ArgumentException>(() => mse.Update(zeros(3, 1), zeros(3)));

        Assert.Contains("[3, 1]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Update_RegressionWithIntegerPredictions_ThrowsArgument()
    {
        using var mae = new MeanAbsoluteError();

        var e = Assert.Throws<ArgumentException>(() => mae.Update(Labels(1, 2), Labels(1, 2)));

        Assert.Contains("floating-point predictions", e.Message);
    }

    [Fact]
    public void Update_R2WithTheWrongNumberOfOutputs_ThrowsArgument()
    {
        using var r2 = new R2Score(outputs: 2);

        var e = Assert.Throws<ArgumentException>(() => r2.Update(zeros(4, 3), zeros(4, 3)));

        Assert.Contains("[N, 2]", e.Message);
    }

    [Fact]
    public void Update_MeanWithWeightsThatDoNotBroadcast_ThrowsArgument()
    {
        using var mean = new Mean();

        Assert.Throws<ArgumentException>(() => mean.Update(zeros(3), ones(2)));
        Assert.Throws<ArgumentException>(() => mean.Update(zeros(3, ScalarType.Bool)));
    }

    [Fact]
    public void Compute_OfAMatrixAsANumber_ThrowsInvalidOperationPointingToComputeTensor()
    {
        using var matrix = new ConfusionMatrix(ClassificationTask.Multiclass(2));
        matrix.Update(Labels(0, 1), Labels(0, 1));

        var e = Assert.Throws<InvalidOperationException>(() => matrix.Compute());

        Assert.Contains("ComputeTensor()", e.Message);
        Assert.Contains("[2, 2]", e.Message);
    }

    public static TheoryData<string> MetricNames => new(Factories.Keys);

    static readonly Dictionary<string, Func<Metric>> Factories = new()
    {
        ["Accuracy"] = () => new Accuracy(),
        ["Precision"] = () => new Precision(ClassificationTask.Multiclass(3)),
        ["Recall"] = () => new Recall(ClassificationTask.Binary()),
        ["FBeta"] = () => new FBeta(2, ClassificationTask.Multilabel(2)),
        ["F1"] = () => new F1(ClassificationTask.Multiclass(3)),
        ["ConfusionMatrix"] = () => new ConfusionMatrix(ClassificationTask.Multiclass(3)),
        ["MeanSquaredError"] = () => new MeanSquaredError(),
        ["MeanAbsoluteError"] = () => new MeanAbsoluteError(),
        ["R2Score"] = () => new R2Score(),
        ["Mean"] = () => new Mean(),
        ["Loss"] = () => new Loss((p, y) => nn.functional.mse_loss(p, y)),
        ["RunningAverage"] = () => new RunningAverage(),
    };

    [Theory]
    [MemberData(nameof(MetricNames))]
    public void Compute_BeforeAnyUpdate_ThrowsInvalidOperationNamingTheMetric(string name)
    {
        using var metric = Factories[name]();

        var e = Assert.Throws<InvalidOperationException>(() => metric.ComputeTensor());

        Assert.Contains($"{name}.Compute() was called before any Update()", e.Message);
    }

    [Fact]
    public void Use_AfterDispose_ThrowsObjectDisposed()
    {
        var accuracy = new Accuracy();
        accuracy.Dispose();

        Assert.Throws<ObjectDisposedException>(() => accuracy.Update(zeros(1, 2), Labels(0)));
        Assert.Throws<ObjectDisposedException>(() => accuracy.Compute());
    }
}
