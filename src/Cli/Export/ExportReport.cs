using System.Text.Json;
using System.Text.Json.Nodes;
using Unified.Core.Export;

namespace Unified.Cli.Export;

/// <summary>The result of <c>unified export</c>, printed as the last line with <c>--json</c> (keys: format, path, opset, inputs, outputs).</summary>
public sealed record ExportReport(string Format, string Model, string Checkpoint, OnnxExportResult Result)
{
    /// <summary>One line of JSON; a dynamic dimension is its symbolic name (<c>"batch"</c>).</summary>
    public string ToJson() => new JsonObject
    {
        ["format"] = Format,
        ["path"] = Result.Path,
        ["opset"] = Result.Opset,
        ["model"] = Model,
        ["checkpoint"] = Checkpoint,
        ["inputs"] = Tensors(Result.Inputs),
        ["outputs"] = Tensors(Result.Outputs),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    /// <summary>One human-readable line.</summary>
    public override string ToString() =>
        $"exported {Model} from {Checkpoint} to {Result.Path} ({Format}, opset {Result.Opset}): " +
        $"{Describe(Result.Inputs[0])} -> {Describe(Result.Outputs[0])}";

    static JsonArray Tensors(IEnumerable<OnnxTensorInfo> tensors) => new(tensors.Select(t => (JsonNode)new JsonObject
    {
        ["name"] = t.Name,
        ["dtype"] = t.DataType,
        ["shape"] = new JsonArray(t.Shape.Select(d => d is long n ? JsonValue.Create(n) : (JsonNode)JsonValue.Create(t.BatchAxis)).ToArray()),
    }).ToArray());

    static string Describe(OnnxTensorInfo t) => $"{t.Name} [{string.Join(", ", t.Shape.Select(d => d?.ToString() ?? t.BatchAxis))}] {t.DataType}";
}
