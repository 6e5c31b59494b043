using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unified.Tuning;

/// <summary>
/// A choice among values (Optuna's <c>CategoricalDistribution</c>): null, booleans, numbers or strings, as in Optuna,
/// so that a storage can keep them as JSON. The internal representation is the choice's index.
/// </summary>
public sealed class CategoricalDistribution : ParameterDistribution
{
    /// <summary>Checks the choices.</summary>
    /// <exception cref="ArgumentException">No choices, or a choice that is not null, a boolean, a number or a string.</exception>
    public CategoricalDistribution(IReadOnlyList<object?> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0) throw new ArgumentException("A categorical parameter needs at least one choice.");
        foreach (var choice in choices)
            if (choice is not (null or bool or string or int or long or double or float))
                throw new ArgumentException($"Choice '{choice}' of type {choice.GetType().Name} cannot be stored: use null, bool, int, long, double or string.");
        Choices = choices.ToArray();
    }

    /// <summary>The values to choose from.</summary>
    public IReadOnlyList<object?> Choices { get; }

    /// <inheritdoc />
    public override object? ToExternal(double internalValue) => Choices[(int)internalValue];

    /// <inheritdoc />
    public override double ToInternal(object? value)
    {
        string wanted = Json(value);
        for (int i = 0; i < Choices.Count; i++)
            if (Json(Choices[i]) == wanted) return i;
        throw new ArgumentException($"Value {wanted} is not one of the choices {ToJson()["choices"]!.ToJsonString()}.");
    }

    /// <inheritdoc />
    public override bool Contains(double internalValue) => internalValue >= 0 && internalValue < Choices.Count && internalValue == Math.Floor(internalValue);

    /// <inheritdoc />
    public override JsonObject ToJson() => new()
    {
        ["kind"] = "categorical", ["choices"] = new JsonArray(Choices.Select(c => JsonNode.Parse(Json(c))).ToArray()),
    };

    // Numbers compare by value whatever their .NET type (a stored 64 is a long, the user's an int).
    static string Json(object? value) => value switch
    {
        JsonElement e => e.GetRawText(),
        int or long or float or double => JsonSerializer.Serialize(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => JsonSerializer.Serialize(value),
    };

    internal static object? FromNode(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => (string)node!,
        JsonValueKind.Number => node!.ToJsonString() is var text && long.TryParse(text, out long l) ? l : (double)node,
        var kind => throw new InvalidDataException($"Categorical choice of kind {kind} is not supported."),
    };
}
