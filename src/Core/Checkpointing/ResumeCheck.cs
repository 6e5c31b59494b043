using System.Text.Json;
using System.Text.Json.Nodes;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Checks, before a resumed fit writes anything, that a checkpoint can continue it: the file loads and verifies, its
/// model part fits the network key by key, and the saved hyper-parameters that shape the step sequence (batch size,
/// processes, accumulation, precision, ...) are the ones asked for now. Nothing is restored.
/// </summary>
/// <example><code>
/// ResumeCheck.Verify("runs/version_0/last.ckpt", network, new Dictionary&lt;string, object?&gt; { ["batch_size"] = 64 });
/// </code></example>
public static class ResumeCheck
{
    /// <summary>
    /// Verifies <paramref name="path"/> against <paramref name="network"/> and <paramref name="expected"/> (hyper-parameter
    /// name → requested value; names the checkpoint did not record are not compared).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (a folder is not a checkpoint).</exception>
    /// <exception cref="CheckpointException">The file is damaged or not a checkpoint.</exception>
    /// <exception cref="ResumeMismatchException">Saved and requested hyper-parameters differ.</exception>
    /// <exception cref="StateMismatchException">The saved model does not fit <paramref name="network"/>.</exception>
    public static void Verify(string path, nn.Module network, IReadOnlyDictionary<string, object?> expected)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(expected);
        if (Directory.Exists(path))
            throw new FileNotFoundException($"'{path}' is a folder, not a checkpoint file; pass the file inside it, e.g. {Path.Combine(path, "last.ckpt")}.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        using var contents = CheckpointFile.Load(path);
        if (contents.Parts.TryGetValue("hparams", out var saved))
        {
            var mismatches = new List<ResumeMismatch>();
            foreach (var (name, value) in expected)
            {
                if (!saved.Values.TryGetValue(name, out var savedValue)) continue;
                var requested = JsonSerializer.SerializeToNode(value);
                if (!JsonNode.DeepEquals(savedValue, requested))
                    mismatches.Add(new ResumeMismatch(name, savedValue?.ToJsonString() ?? "null", requested?.ToJsonString() ?? "null"));
            }
            if (mismatches.Count > 0) throw new ResumeMismatchException(path, mismatches);
        }
        var problems = ModuleState.Check(network, contents.Part(CheckpointKeys.ModelPart).Tensors);
        if (problems.Count > 0) throw new StateMismatchException($"the model being resumed (checkpoint '{path}')", problems);
    }
}
