using System.CommandLine;
using Unified.Core.Export;
using Unified.Core.Models;
using static TorchSharp.torch;

namespace Unified.Cli.Export;

/// <summary><c>unified export</c>: writes a trained digits model from a checkpoint as ONNX.</summary>
public static class ExportCommand
{
    /// <summary>The formats <c>--format</c> accepts.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["onnx"];

    /// <summary>Builds the command; results go to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A Unified checkpoint (e.g. runs/version_0/last.ckpt), a safetensors or a PyTorch state dict.", Required = true };
        var model = new Option<string>("--model") { Description = $"The model the checkpoint holds: {string.Join(" or ", DigitsModels.Names)}.", DefaultValueFactory = _ => "mlp" };
        var format = new Option<string>("--format") { Description = "Export format: onnx.", DefaultValueFactory = _ => "onnx" };
        var path = new Option<string>("--output") { Description = "The file to write (refused if it exists, unless --overwrite).", Required = true };
        var opset = new Option<int>("--opset") { Description = $"ONNX operator set, {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset}.", DefaultValueFactory = _ => OnnxExportOptions.MinOpset };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace --output if it exists." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line (format, path, opset, inputs, outputs)." };

        var command = new Command("export", "Export a trained model from a checkpoint (ONNX; serve it with 'unified serve').")
        {
            checkpoint, model, format, path, opset, overwrite, json,
        };
        command.SetAction(parsed =>
        {
            string formatName = parsed.GetValue(format)!.Trim().ToLowerInvariant();
            if (!Formats.Contains(formatName))
                throw new UsageException($"Unknown --format '{formatName}'. Valid formats: {string.Join(", ", Formats)} (TorchScript is not offered: see docs/export-and-serving.md).");
            string modelName = parsed.GetValue(model)!.Trim().ToLowerInvariant();
            string checkpointPath = parsed.GetValue(checkpoint)!, outputPath = parsed.GetValue(path)!;
            if (!File.Exists(checkpointPath)) throw new UsageException($"--checkpoint '{checkpointPath}' does not exist.");
            if (File.Exists(outputPath) && !parsed.GetValue(overwrite))
                throw new UsageException($"--output '{outputPath}' exists; choose another path or pass --overwrite.");
            if (Directory.Exists(outputPath)) throw new UsageException($"--output '{outputPath}' is a folder; name the file to write.");

            using var network = CheckpointModel.Load(checkpointPath, modelName);
            using var sample = zeros([1, .. CheckpointModel.SampleShape(modelName)]);
            var result = OnnxExporter.Export(network, sample, outputPath, new OnnxExportOptions { Opset = parsed.GetValue(opset) });
            var report = new ExportReport(formatName, modelName, checkpointPath, result);
            output.WriteLine(report.ToString());
            if (parsed.GetValue(json)) output.WriteLine(report.ToJson());
            return ExitCodes.Success;
        });
        return command;
    }
}
