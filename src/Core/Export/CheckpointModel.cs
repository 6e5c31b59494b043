using System.Text.Json.Nodes;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// Loads a built-in digits model (<c>mlp</c>, <c>cnn</c>) from a Unified checkpoint (or a safetensors / PyTorch state
/// dict) for export and serving, in evaluation mode.
/// </summary>
/// <example><code>using var model = CheckpointModel.Load("runs/version_0/last.ckpt", "mlp");</code></example>
public static class CheckpointModel
{
    /// <summary>Creates the named model and loads its weights strictly from <paramref name="checkpoint"/>.</summary>
    /// <exception cref="ArgumentException">The model name is unknown, or the checkpoint does not hold that model (the message names the model it holds when the checkpoint records it).</exception>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="CheckpointException">The file is damaged or not a checkpoint.</exception>
    public static nn.Module<Tensor, Tensor> Load(string checkpoint, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpoint);
        var network = DigitsModels.Create(model);
        try
        {
            ModelWeights.Load(network, checkpoint, strict: true);
        }
        catch (StateMismatchException e)
        {
            network.Dispose();
            string? recorded = RecordedModel(checkpoint);
            throw new ArgumentException(recorded is not null && recorded != model
                ? $"'{checkpoint}' holds a '{recorded}' model, not '{model}'; pass --model {recorded}."
                : $"'{checkpoint}' does not hold the '{model}' model ({e.Problems.Count} mismatches, first: {e.Problems[0]}); pass the --model it was trained with.", e);
        }
        network.eval();
        return network;
    }

    /// <summary>The shape of one sample the named model reads, without the batch axis: <c>[784]</c> or <c>[1, 28, 28]</c>.</summary>
    public static long[] SampleShape(string model) => DigitsModels.LayoutOf(model) == InputLayout.Flat ? [28 * 28] : [1, 28, 28];

    // The model name fit records among the checkpoint's hyper-parameters (part "hparams", key "model"), if any.
    static string? RecordedModel(string checkpoint)
    {
        try
        {
            using var contents = CheckpointFile.Load(checkpoint);
            return contents.Parts.TryGetValue("hparams", out var hparams) && hparams.Values.TryGetValue("model", out var node) && node is JsonValue value
                && value.TryGetValue(out string? name) ? name : null;
        }
        catch (Exception e) when (e is CheckpointException or IOException or InvalidDataException)
        {
            return null;
        }
    }
}
