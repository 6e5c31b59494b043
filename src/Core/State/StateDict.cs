using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Unified.Core.State;

/// <summary>
/// A state: named tensors (saved as raw tensor data) and named JSON values (counters, scales, RNG seeds, options).
/// Nested parts live under dotted prefixes (<c>"optimizer.state.0.exp_avg"</c>), as in PyTorch state dicts.
/// </summary>
public sealed class StateDict
{
    /// <summary>Named tensors, in insertion order (the order a checkpoint writes them).</summary>
    public IDictionary<string, Tensor> Tensors { get; } = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);

    /// <summary>Named JSON values.</summary>
    public IDictionary<string, JsonNode?> Values { get; } = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);

    /// <summary>The tensor under <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">It is missing.</exception>
    public Tensor Tensor(string key) =>
        Tensors.TryGetValue(key, out var tensor) ? tensor : throw Missing(key, "tensor");

    /// <summary>The value under <paramref name="key"/>, converted to <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidDataException">It is missing or not a <typeparamref name="T"/>.</exception>
    public T Value<T>(string key)
    {
        if (!Values.TryGetValue(key, out var node) || node is null) throw Missing(key, typeof(T).Name);
        try { return node.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"State entry '{key}' is {node.ToJsonString()}, not a {typeof(T).Name}.", e);
        }
    }

    /// <summary>Copies every entry of <paramref name="child"/> into this state under <c>prefix.</c>.</summary>
    public StateDict Add(string prefix, StateDict child)
    {
        foreach (var (key, tensor) in child.Tensors) Tensors.Add($"{prefix}.{key}", tensor);
        foreach (var (key, value) in child.Values) Values.Add($"{prefix}.{key}", value?.DeepClone());
        return this;
    }

    /// <summary>The entries under <c>prefix.</c>, with the prefix removed (the inverse of <see cref="Add"/>).</summary>
    public StateDict Part(string prefix)
    {
        string start = prefix + ".";
        var part = new StateDict();
        foreach (var (key, tensor) in Tensors)
            if (key.StartsWith(start, StringComparison.Ordinal)) part.Tensors.Add(key[start.Length..], tensor);
        foreach (var (key, value) in Values)
            if (key.StartsWith(start, StringComparison.Ordinal)) part.Values.Add(key[start.Length..], value?.DeepClone());
        return part;
    }

    static InvalidDataException Missing(string key, string kind) =>
        new($"The state has no {kind} '{key}'; it was saved by a different model or configuration.");
}
