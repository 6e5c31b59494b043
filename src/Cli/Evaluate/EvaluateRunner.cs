using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Export;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Evaluate;

/// <summary>
/// Runs <c>unified validate|test|predict</c>: loads a checkpoint's model, then evaluates it through Lightning's
/// <c>Trainer.Validate/Test/Predict</c> or through an Ignite evaluator engine. Everything that can be refused (the
/// checkpoint, its model, the output file) is checked before the evaluation starts.
/// </summary>
public static class EvaluateRunner
{
    /// <summary>Evaluates as <paramref name="settings"/> say; warnings go to <paramref name="error"/>.</summary>
    /// <exception cref="UsageException">The checkpoint is missing, unreadable or holds another model; the output exists; the data has no such split.</exception>
    public static EvaluateReport Run(EvaluateSettings settings, TextWriter error)
    {
        CheckOutput(settings);
        TorchRuntime.Initialize(new RuntimeOptions { Threads = settings.Threads });
        var recorded = RecordedHyperparameters(settings.Checkpoint);
        string model = settings.Model ?? (recorded.TryGetValue("model", out var m) ? m.GetValue<string>() : "mlp");
        double testFraction = settings.TestFraction ?? (recorded.TryGetValue("test_fraction", out var t) ? t.GetValue<double>() : 0);
        using var network = LoadModel(settings.Checkpoint, model);
        bool wantsTest = settings.Stage == "test" || settings.Split == "test";
        if (wantsTest && testFraction == 0)
        {
            testFraction = 0.1;
            error.WriteLine($"warning: '{settings.Checkpoint}' was fitted without a test split, so its test samples (--test-fraction 0.1) were among its " +
                "training samples; fit with --test-fraction 0.1 for a held-out test set.");
        }
        using var data = new DigitsDataModule(new DigitsDataOptions
        {
            Path = settings.Data == "digits" ? null : settings.Data,
            BatchSize = settings.BatchSize,
            TestFraction = testFraction,
            Layout = DigitsModels.LayoutOf(model),
            ClassCount = DigitsModels.ClassCount,
            ImageSize = DigitsModels.ImageSize,
        });
        var split = (wantsTest ? data.Test : data.Validation) ?? throw new UsageException($"the data has no {(wantsTest ? "test" : "validation")} split.");
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, double> metrics;
        string? output = null;
        if (settings.Stage == "predict")
        {
            var predictions = settings.Framework == "lightning" ? PredictLightning(network, data, split, settings) : PredictIgnite(network, split, settings);
            predictions.WriteCsv(settings.Output!);
            output = settings.Output;
            metrics = new Dictionary<string, double> { ["predict_accuracy"] = predictions.Accuracy };
        }
        else metrics = settings.Framework == "lightning" ? EvaluateLightning(network, data, settings) : EvaluateIgnite(network, split, settings);
        return new EvaluateReport(settings.Stage, settings.Framework, model, settings.Checkpoint, metrics, split.SampleCount, clock.Elapsed.TotalSeconds,
            ProcessMemory.PeakRssMb(), output);
    }

    static void CheckOutput(EvaluateSettings settings)
    {
        if (settings.Stage != "predict") return;
        string path = settings.Output ?? throw new UsageException("predict needs --output FILE.csv for the predictions.");
        if (Directory.Exists(path)) throw new UsageException($"--output '{path}' is a folder; name the file to write, e.g. {Path.Combine(path, "predictions.csv")}.");
        if (File.Exists(path) && !settings.Overwrite) throw new UsageException($"--output '{path}' exists; choose another path or pass --overwrite.");
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder))
            throw new UsageException($"--output '{path}': the folder '{folder}' does not exist; create it or choose another path.");
    }

    static IReadOnlyDictionary<string, double> EvaluateLightning(nn.Module<Tensor, Tensor> network, DigitsDataModule data, EvaluateSettings settings)
    {
        var module = new DigitsClassifier(network);
        var trainer = Quiet(settings);
        return settings.Stage == "validate"
            ? trainer.Validate(module, data, settings.Checkpoint)
            : trainer.Test(module, data, settings.Checkpoint);
    }

    static IReadOnlyDictionary<string, double> EvaluateIgnite(nn.Module<Tensor, Tensor> network, IBatchLoader split, EvaluateSettings settings)
    {
        using var accuracy = new Accuracy();
        using var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));
        var evaluator = Supervised.CreateEvaluator(network, new Dictionary<string, Metric> { ["accuracy"] = accuracy, ["loss"] = loss }, settings.Accelerator);
        var state = evaluator.Run(split);
        string prefix = settings.Stage == "validate" ? "val" : "test";
        return new Dictionary<string, double> { [$"{prefix}_loss"] = state.Metric("loss"), [$"{prefix}_accuracy"] = state.Metric("accuracy") };
    }

    static Predictions PredictLightning(nn.Module<Tensor, Tensor> network, DigitsDataModule data, IBatchLoader split, EvaluateSettings settings)
    {
        var module = new DigitsClassifier(network);
        var trainer = Quiet(settings);
        var classes = new List<long>();
        var confidences = new List<float>();
        foreach (var probabilities in trainer.Predict(module, new SplitAsPredict(data, split), settings.Checkpoint))
        {
            using (probabilities) Collect(probabilities, classes, confidences);
        }
        return new Predictions(classes, confidences, Labels(split));
    }

    static Predictions PredictIgnite(nn.Module<Tensor, Tensor> network, IBatchLoader split, EvaluateSettings settings)
    {
        var device = Accelerator.Resolve(settings.Accelerator).Device;
        network.to(device);
        var classes = new List<long>();
        var confidences = new List<float>();
        var engine = new Engine((engine, batch) =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Collect(nn.functional.softmax(network.call(batch.Input.to(device)), 1), classes, confidences);
            return null;
        });
        engine.On(Events.Started, _ => network.eval());
        engine.Run(split, maxEpochs: 1);
        return new Predictions(classes, confidences, Labels(split));
    }

    // The command prints its own one-line result; Lightning's default model summary and progress bar would only add noise.
    static Trainer Quiet(EvaluateSettings settings) =>
        new(new TrainerOptions { Accelerator = settings.Accelerator, EnableProgressBar = false, EnableModelSummary = false });

    static void Collect(Tensor probabilities, List<long> classes, List<float> confidences)
    {
        using var scope = NewDisposeScope();
        var (confidence, predicted) = probabilities.max(1);
        classes.AddRange(predicted.cpu().data<long>().ToArray());
        confidences.AddRange(confidence.cpu().to_type(ScalarType.Float32).data<float>().ToArray());
    }

    static List<long> Labels(IBatchLoader split)
    {
        var labels = new List<long>(split.SampleCount);
        foreach (var batch in split.Epoch(0))
        {
            using (batch) labels.AddRange(batch.Target.cpu().to_type(ScalarType.Int64).data<long>().ToArray());
        }
        return labels;
    }

    // The model loads strictly; any reason it cannot is the user's to fix (another file, another --model).
    static nn.Module<Tensor, Tensor> LoadModel(string checkpoint, string model)
    {
        if (!DigitsModels.Names.Contains(model)) throw new UsageException($"--model '{model}' is not known; use one of: {string.Join(", ", DigitsModels.Names)}.");
        try
        {
            return CheckpointModel.Load(checkpoint, model);
        }
        catch (Exception e) when (e is CheckpointException or InvalidDataException or IOException and not FileNotFoundException)
        {
            throw new UsageException($"--checkpoint '{checkpoint}' cannot be read ({e.Message.Split('\n', 2)[0].TrimEnd('.')}); pass a checkpoint that unified fit wrote, e.g. runs/version_0/last.ckpt.");
        }
    }

    // fit records its settings in the checkpoint's "hparams" part; a plain state dict has none.
    static IReadOnlyDictionary<string, JsonValue> RecordedHyperparameters(string checkpoint)
    {
        if (Directory.Exists(checkpoint)) throw new UsageException($"--checkpoint '{checkpoint}' is a folder; pass the file inside it, e.g. {Path.Combine(checkpoint, "last.ckpt")}.");
        if (!File.Exists(checkpoint)) throw new UsageException($"--checkpoint '{checkpoint}' does not exist; pass a checkpoint that unified fit wrote, e.g. runs/version_0/last.ckpt.");
        try
        {
            using var contents = CheckpointFile.Load(checkpoint);
            return contents.Parts.TryGetValue("hparams", out var hparams)
                ? hparams.Values.Where(v => v.Value is JsonValue).ToDictionary(v => v.Key, v => (JsonValue)v.Value!.DeepClone())
                : new Dictionary<string, JsonValue>();
        }
        catch (Exception e) when (e is CheckpointException or IOException or InvalidDataException)
        {
            return new Dictionary<string, JsonValue>(); // maybe a plain safetensors / PyTorch state dict: LoadModel decides
        }
    }
}
