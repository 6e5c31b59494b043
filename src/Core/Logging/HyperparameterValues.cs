using System.Globalization;

namespace Unified.Core.Logging;

/// <summary>Turns hyper-parameter dictionaries into the flat, typed values that flat formats (TensorBoard, MLflow) store.</summary>
internal static class HyperparameterValues
{
    /// <summary>Nested dictionaries become <c>outer/inner</c> keys (Lightning's <c>_flatten_dict</c>); nulls are kept.</summary>
    public static List<KeyValuePair<string, object?>> Flatten(IReadOnlyDictionary<string, object?> values, string separator = "/")
    {
        var flat = new List<KeyValuePair<string, object?>>();
        Add(values, "");
        return flat;

        void Add(IEnumerable<KeyValuePair<string, object?>> entries, string prefix)
        {
            foreach (var (key, value) in entries)
            {
                string name = prefix + key;
                if (AsMap(value) is { } nested) Add(nested, name + separator);
                else flat.Add(new(name, value));
            }
        }
    }

    /// <summary>A nested dictionary, or null when <paramref name="value"/> is not one.</summary>
    public static IEnumerable<KeyValuePair<string, object?>>? AsMap(object? value) => value switch
    {
        IEnumerable<KeyValuePair<string, object?>> map => map,
        IEnumerable<KeyValuePair<string, string>> map => map.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)),
        IEnumerable<KeyValuePair<string, double>> map => map.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)),
        IEnumerable<KeyValuePair<string, int>> map => map.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)),
        _ => null,
    };

    /// <summary>The value as a double when it is a number (booleans are not numbers here).</summary>
    public static double? AsNumber(object? value) => value switch
    {
        byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or Half =>
            Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The value as text: invariant numbers, lower-case booleans, enum names, <c>ToString()</c> otherwise.</summary>
    public static string AsText(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        double d => PythonFormat.Float(d),
        float f => PythonFormat.Float(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
