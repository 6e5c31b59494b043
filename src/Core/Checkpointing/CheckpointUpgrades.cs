using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// The explicit steps that bring an older checkpoint up to <see cref="CheckpointFile.CurrentVersion"/>: one step per
/// major version, applied in order to the file's metadata and tensors before anything is restored.
/// </summary>
public static class CheckpointUpgrades
{
    /// <summary>Upgrades metadata and tensors in place from one major version to the next.</summary>
    public delegate void Step(Dictionary<string, string> metadata, List<KeyValuePair<string, Tensor>> tensors);

    /// <summary>The format name that version 0 files carry (weights only, written by <c>unified fit</c> before checkpoints had versions).</summary>
    public const string Version0FormatName = "unified-weights";

    static readonly Dictionary<int, Step> Steps = new()
    {
        [0] = FromVersion0,
    };

    /// <summary>Applies every step from <paramref name="from"/>'s major version to the current one.</summary>
    public static void Apply(CheckpointVersion from, Dictionary<string, string> metadata, List<KeyValuePair<string, Tensor>> tensors)
    {
        for (int major = from.Major; major < CheckpointFile.CurrentVersion.Major; major++)
        {
            if (!Steps.TryGetValue(major, out var step))
                throw new CheckpointVersionException(
                    $"No upgrade step leads from checkpoint format {major}.x to {major + 1}.x; this library reads {CheckpointFile.CurrentVersion}.",
                    from.ToString(), CheckpointFile.CurrentVersion.ToString());
            step(metadata, tensors);
        }
    }

    // Version 0 held the model's state dict under plain names and its progress as loose strings; it had no checksum.
    static void FromVersion0(Dictionary<string, string> metadata, List<KeyValuePair<string, Tensor>> tensors)
    {
        var legacy = new JsonObject();
        foreach (var (key, value) in metadata) legacy[key] = value;
        metadata.Clear();
        metadata[CheckpointKeys.Format] = CheckpointKeys.FormatName;
        metadata[CheckpointKeys.FormatVersion] = "1.0";
        metadata[CheckpointKeys.Parts] = new JsonArray(CheckpointKeys.ModelPart, "legacy").ToJsonString();
        metadata[CheckpointKeys.State] = new JsonObject { [CheckpointKeys.ModelPart] = new JsonObject(), ["legacy"] = legacy }.ToJsonString();
    }
}
