using static TorchSharp.torch;

namespace Unified.Core.State;

/// <summary>A module's parameters and buffers as a stateful part (PyTorch's <c>module.state_dict()</c>), loaded with key-by-key checks.</summary>
public sealed class ModuleState(nn.Module module) : IStateful
{
    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (key, tensor) in module.state_dict()) state.Tensors.Add(key, tensor);
        return state;
    }

    /// <summary>Loads strictly: every key, shape and dtype must match.</summary>
    /// <exception cref="StateMismatchException">Anything differs; every problem is listed.</exception>
    public void LoadStateDict(StateDict state) => Load(module, state.Tensors, strict: true);

    /// <summary>
    /// Copies <paramref name="tensors"/> into <paramref name="module"/>'s parameters and buffers (in place, without
    /// autograd). Strict: missing and unexpected keys, shape and dtype differences are errors. Non-strict: missing and
    /// unexpected keys are skipped and dtypes converted, and the report says so; shapes must still match.
    /// </summary>
    /// <exception cref="StateMismatchException">Listing every problem, before anything is copied.</exception>
    public static StateLoadReport Load(nn.Module module, IEnumerable<KeyValuePair<string, Tensor>> tensors, bool strict = true)
    {
        var target = module.state_dict();
        var source = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var problems = Problems(target, source, strict);
        if (problems.Count > 0) throw new StateMismatchException($"module {module.GetName()}", problems);
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var converted = target.Where(kv => source.TryGetValue(kv.Key, out var from) && from.dtype != kv.Value.dtype).Select(kv => kv.Key).ToList();

        var loaded = new List<string>();
        using (no_grad())
        {
            foreach (var (key, into) in target)
            {
                if (!source.TryGetValue(key, out var from)) continue;
                into.copy_(from);
                loaded.Add(key);
            }
        }
        return new StateLoadReport(loaded, missing, unexpected, converted);
    }

    /// <summary>
    /// What keeps <paramref name="tensors"/> from loading into <paramref name="module"/> (as <see cref="Load"/> would
    /// report it), one line per problem; empty when they fit. Copies nothing.
    /// </summary>
    public static IReadOnlyList<string> Check(nn.Module module, IEnumerable<KeyValuePair<string, Tensor>> tensors, bool strict = true) =>
        Problems(module.state_dict(), tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), strict);

    static List<string> Problems(IDictionary<string, Tensor> target, Dictionary<string, Tensor> source, bool strict)
    {
        var problems = new List<string>();
        if (strict)
        {
            problems.AddRange(target.Keys.Where(k => !source.ContainsKey(k)).Select(k => $"{k}: missing from the state (the model has {Describe(target[k])})"));
            problems.AddRange(source.Keys.Where(k => !target.ContainsKey(k)).Select(k => $"{k}: unexpected in the state ({Describe(source[k])}); the model has no such key"));
        }
        foreach (var (key, into) in target)
        {
            if (!source.TryGetValue(key, out var from)) continue;
            if (!from.shape.SequenceEqual(into.shape))
                problems.Add($"{key}: shape [{string.Join(", ", from.shape)}] in the state, [{string.Join(", ", into.shape)}] in the model");
            else if (from.dtype != into.dtype && strict)
                problems.Add($"{key}: dtype {from.dtype} in the state, {into.dtype} in the model");
        }
        return problems;
    }

    static string Describe(Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype}";
}
