using System.Text.Json.Nodes;

namespace Unified.Core.State;

/// <summary>Converts the scalar field types that stateful adapters save (numbers, bools, strings, their nullables) to and from JSON.</summary>
public static class JsonScalar
{
    /// <summary>Whether <paramref name="type"/> (or its nullable form) is one <see cref="From"/> and <see cref="To"/> handle.</summary>
    public static bool Supports(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(double) || t == typeof(float) || t == typeof(long) || t == typeof(int) || t == typeof(bool) || t == typeof(string);
    }

    /// <summary>
    /// A JSON node for a boxed scalar (null for null). JSON has no infinities or NaN (e.g. ReduceLROnPlateau's initial
    /// <c>best</c>): they are written as the strings <c>Infinity</c>, <c>-Infinity</c> and <c>NaN</c>, as Python's json does without quotes.
    /// </summary>
    public static JsonNode? From(object? value) => value switch
    {
        null => null,
        double d when !double.IsFinite(d) => JsonValue.Create(NonFinite(d)),
        float f when !float.IsFinite(f) => JsonValue.Create(NonFinite(f)),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => throw new NotSupportedException($"A {value.GetType().Name} cannot be stored as a JSON state value."),
    };

    static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    /// <summary>The boxed value of <paramref name="node"/> as <paramref name="type"/>.</summary>
    /// <exception cref="InvalidDataException">The node does not hold a value of that type; <paramref name="key"/> names it.</exception>
    public static object? To(JsonNode? node, Type type, string key)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is null)
            return underlying is not null || type == typeof(string) ? null : throw new InvalidDataException($"State value '{key}' is null, but a {type.Name} is needed.");
        var target = underlying ?? type;
        try
        {
            if ((target == typeof(double) || target == typeof(float)) && node is JsonValue text && text.TryGetValue(out string? name))
            {
                double parsed = name switch { "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, "NaN" => double.NaN, _ => throw new FormatException(name) };
                return target == typeof(double) ? parsed : (float)parsed;
            }
            return target == typeof(double) ? node.GetValue<double>()
                : target == typeof(float) ? node.GetValue<float>()
                : target == typeof(long) ? node.GetValue<long>()
                : target == typeof(int) ? node.GetValue<int>()
                : target == typeof(bool) ? node.GetValue<bool>()
                : target == typeof(string) ? node.GetValue<string>()
                : throw new NotSupportedException($"State value '{key}' would need type {type.Name}, which is not supported.");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"State value '{key}' is {node.ToJsonString()}, not a {target.Name}.", e);
        }
    }
}
