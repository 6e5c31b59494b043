using System.CommandLine;
using Unified.Adapters;

namespace Unified.Cli.Evaluate;

/// <summary><c>unified validate|test|predict --checkpoint CKPT</c>: evaluates a fitted digits model through either front-end.</summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command for <paramref name="stage"/> (validate, test or predict); results go to <paramref name="output"/>, warnings to <paramref name="error"/>.</summary>
    public static Command Create(string stage, TextWriter output, TextWriter error)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The checkpoint to evaluate (e.g. runs/version_0/last.ckpt), or a safetensors / PyTorch state dict.", Required = true };
        var framework = new Option<string>("--framework") { Description = "Front-end: lightning (Trainer." + char.ToUpperInvariant(stage[0]) + stage[1..] + ") or ignite (an evaluator engine).", DefaultValueFactory = _ => Frameworks.Lightning };
        var model = new Option<string?>("--model") { Description = "The model the checkpoint holds (default: the one it records, else mlp)." };
        var data = new Option<string>("--data") { Description = "'digits' (bundled) or a path to MNIST IDX files.", DefaultValueFactory = _ => "digits" };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch.", DefaultValueFactory = _ => 64 };
        var testFraction = new Option<double?>("--test-fraction") { Description = "Share of the samples in the test split (default: the checkpoint's fit's --test-fraction, else 0.1)." };
        var accelerator = new Option<string>("--accelerator") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        string description = stage switch
        {
            "validate" => "Measure a checkpoint on the validation split (val_loss, val_accuracy).",
            "test" => "Measure a checkpoint on the test split (test_loss, test_accuracy).",
            _ => "Predict the classes of a split with a checkpoint and write them to a CSV file (index,prediction,confidence,label).",
        };
        var command = new Command(stage, description) { checkpoint, framework, model, data, batchSize, testFraction, accelerator, threads, json };
        var split = new Option<string>("--split") { Description = "The split to predict: validation or test.", DefaultValueFactory = _ => "validation" };
        var path = new Option<string?>("--output") { Description = "The CSV file to write (refused if it exists, unless --overwrite)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace --output if it exists." };
        if (stage == "predict")
        {
            command.Options.Add(split);
            command.Options.Add(path);
            command.Options.Add(overwrite);
        }
        command.SetAction(parsed =>
        {
            var settings = new EvaluateSettings
            {
                Stage = stage,
                Checkpoint = parsed.GetValue(checkpoint)!,
                Framework = parsed.GetValue(framework)!.Trim().ToLowerInvariant(),
                Model = parsed.GetValue(model)?.Trim().ToLowerInvariant(),
                Data = parsed.GetValue(data)!,
                BatchSize = parsed.GetValue(batchSize),
                TestFraction = parsed.GetValue(testFraction),
                Accelerator = parsed.GetValue(accelerator)!.Trim().ToLowerInvariant(),
                Threads = parsed.GetValue(threads),
                Split = stage == "predict" ? parsed.GetValue(split)!.Trim().ToLowerInvariant() : "validation",
                Output = stage == "predict" ? parsed.GetValue(path) : null,
                Overwrite = stage == "predict" && parsed.GetValue(overwrite),
                Json = parsed.GetValue(json),
            };
            Validate(settings);
            var report = EvaluateRunner.Run(settings, error);
            output.WriteLine(report.ToString());
            if (settings.Json) output.WriteLine(report.ToJson());
            return ExitCodes.Success;
        });
        return command;
    }

    static void Validate(EvaluateSettings settings)
    {
        if (!Frameworks.Names.Contains(settings.Framework))
            throw new UsageException($"--framework '{settings.Framework}' is not known; use one of: {string.Join(", ", Frameworks.Names)}.");
        if (settings.BatchSize < 1) throw new UsageException($"--batch-size must be a positive integer; got {settings.BatchSize}.");
        if (settings.TestFraction is { } f && !(f > 0 && f < 0.8)) throw new UsageException($"--test-fraction must be above 0 and below 0.8; got {f}.");
        if (!Core.Accelerators.Accelerator.Names.Contains(settings.Accelerator))
            throw new UsageException($"--accelerator '{settings.Accelerator}' is not known; use one of: {string.Join(", ", Core.Accelerators.Accelerator.Names)}.");
        if (settings.Split is not ("validation" or "test")) throw new UsageException($"--split '{settings.Split}' is not known; use validation or test.");
        if (settings.Threads is < 1) throw new UsageException($"--threads must be a positive integer; got {settings.Threads}.");
    }
}
