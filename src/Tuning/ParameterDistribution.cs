using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unified.Tuning;

/// <summary>
/// The range a parameter is drawn from (Optuna's <c>BaseDistribution</c>). Samplers work on the internal
/// representation, a double (the value itself, or a categorical choice's index); the trial hands out the external one.
/// </summary>
public abstract class ParameterDistribution : IEquatable<ParameterDistribution>
{
    /// <summary>The value a trial hands out for the internal representation <paramref name="internalValue"/>.</summary>
    public abstract object? ToExternal(double internalValue);

    /// <summary>The internal representation of <paramref name="value"/>; throws when the value lies outside the range.</summary>
    public abstract double ToInternal(object? value);

    /// <summary>Whether the internal value lies in the range.</summary>
    public abstract bool Contains(double internalValue);

    /// <summary>The distribution as a JSON object, the form storages keep.</summary>
    public abstract JsonObject ToJson();

    /// <inheritdoc />
    public bool Equals(ParameterDistribution? other) => other is not null && ToJson().ToJsonString() == other.ToJson().ToJsonString();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ParameterDistribution);

    /// <inheritdoc />
    public override int GetHashCode() => ToJson().ToJsonString().GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => ToJson().ToJsonString();

    /// <summary>Reads a distribution written by <see cref="ToJson"/>.</summary>
    public static ParameterDistribution FromJson(string json)
    {
        var node = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"Not a distribution: {json}");
        return (string?)node["kind"] switch
        {
            "float" => new FloatDistribution((double)node["low"]!, (double)node["high"]!, (bool)node["log"]!,
                node["step"] is { } step ? (double)step : null),
            "int" => new IntDistribution((int)node["low"]!, (int)node["high"]!, (bool)node["log"]!, (int)node["step"]!),
            "categorical" => new CategoricalDistribution(node["choices"]!.AsArray().Select(CategoricalDistribution.FromNode).ToArray()),
            var kind => throw new InvalidDataException($"Unknown distribution kind '{kind}' in {json}."),
        };
    }

    internal static double Number(object? value, string name) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        _ => throw new ArgumentException($"Value '{value}' for parameter '{name}' is not a number."),
    };
}
