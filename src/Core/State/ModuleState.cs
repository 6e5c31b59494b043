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
        var problems = new List<string>();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var converted = new List<string>();
        if (strict)
        {
            problems.AddRange(missing.Select(k => $"{k}: missing from the state (the model has {Describe(target[k])})"));
            problems.AddRange(unexpected.Select(k => $"{k}: unexpected in the state ({Describe(source[k])}); the model has no such key"));
        }
        foreach (var (key, into) in target)
        {
            if (!source.TryGetValue(key, out var from)) continue;
            if (!from.shape.SequenceEqual(into.shape))
                problems.Add($"{key}: shape [{string.Join(", ", from.shape)}] in the state, [{string.Join(", ", into.shape)}] in the model");
            else if (from.dtype != into.dtype)
            {
                if (strict) problems.Add($"{key}: dtype {from.dtype} in the state, {into.dtype} in the model");
                else converted.Add(key);
            }
        }
        if (problems.Count > 0) throw new StateMismatchException($"module {module.GetName()}", problems);

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

    static string Describe(Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype}";
}
