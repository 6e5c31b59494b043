using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.State;

/// <summary>
/// An optimiser's state as a stateful part, named as in PyTorch's <c>optimizer.state_dict()</c>: per-parameter state
/// (<c>state.{i}.exp_avg</c>, <c>state.{i}.step</c>, …, with <c>i</c> the parameter's position across groups) and
/// per-group hyper-parameters (<c>param_groups.{g}.lr</c>, <c>param_groups.{g}.beta1</c>, …). It reads the public
/// state and option fields of TorchSharp's managed optimisers (Adam, AdamW, SGD, RMSprop, Adagrad, …), so it follows
/// whatever state an optimiser keeps; on load every tensor is copied into the live state on the parameter's device.
/// </summary>
public sealed class OptimizerState(optim.Optimizer optimizer) : IStateful
{
    readonly OptimizerHelper helper = optimizer as OptimizerHelper
        ?? throw new NotSupportedException($"Optimizer {optimizer.GetType().Name} keeps its state in native code, which cannot be checkpointed; use one of TorchSharp's managed optimizers (Adam, AdamW, SGD, ...).");

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["type"] = helper.GetType().Name;
        var groups = Groups();
        for (int g = 0; g < groups.Count; g++)
        {
            var options = groups[g].Options;
            state.Values[$"param_groups.{g}.param_count"] = groups[g].Parameters.Count();
            state.Values[$"param_groups.{g}.lr"] = options.LearningRate;
            state.Values[$"param_groups.{g}.initial_lr"] = options.InitialLearningRate;
            foreach (var field in OptionFields(options)) state.Values[$"param_groups.{g}.{field.Name}"] = JsonScalar.From(field.GetValue(options));
        }
        var states = helper.state_dict().State;
        for (int i = 0; i < states.Count; i++)
        {
            foreach (var field in StateFields(states[i]))
            {
                object? value = field.GetValue(states[i]);
                if (value is Tensor tensor) state.Tensors[$"state.{i}.{field.Name}"] = tensor;
                else if (value is not null && field.FieldType != typeof(Tensor)) state.Values[$"state.{i}.{field.Name}"] = JsonScalar.From(value);
            }
        }
        return state;
    }

    /// <inheritdoc />
    /// <exception cref="StateMismatchException">A state tensor's shape differs from the live one's; every such key is listed.</exception>
    public void LoadStateDict(StateDict state)
    {
        string type = state.Value<string>("type");
        if (type != helper.GetType().Name)
            throw new InvalidDataException($"The optimizer state is for {type}, but the optimizer is {helper.GetType().Name}.");
        var groups = Groups();
        for (int g = 0; g < groups.Count; g++)
        {
            int count = groups[g].Parameters.Count();
            if (state.Value<int>($"param_groups.{g}.param_count") != count)
                throw new InvalidDataException($"Parameter group {g} has {count} parameters, but the saved state has {state.Value<int>($"param_groups.{g}.param_count")}.");
        }
        if (state.Values.ContainsKey($"param_groups.{groups.Count}.param_count"))
            throw new InvalidDataException($"The saved optimizer state has more than the optimizer's {groups.Count} parameter groups.");

        var parameters = groups.SelectMany(g => g.Parameters).ToList();
        var states = helper.state_dict().State;
        CheckShapes(state, states, parameters);
        for (int g = 0; g < groups.Count; g++)
        {
            var options = groups[g].Options;
            options.LearningRate = state.Value<double>($"param_groups.{g}.lr");
            options.InitialLearningRate = state.Value<double>($"param_groups.{g}.initial_lr");
            foreach (var field in OptionFields(options)) field.SetValue(options, Read(state, $"param_groups.{g}.{field.Name}", field.FieldType));
        }
        for (int i = 0; i < states.Count; i++)
            foreach (var field in StateFields(states[i])) LoadField(state, states[i], field, $"state.{i}.{field.Name}", parameters[i]);
    }

    List<ParamGroup> Groups() => helper.ParamGroups.Cast<ParamGroup>().ToList();

    static void CheckShapes(StateDict state, List<TorchSharp.Modules.OptimizerState> states, List<Parameter> parameters)
    {
        var problems = new List<string>();
        for (int i = 0; i < states.Count; i++)
        {
            foreach (var field in StateFields(states[i]).Where(f => f.FieldType == typeof(Tensor)))
            {
                if (!state.Tensors.TryGetValue($"state.{i}.{field.Name}", out var saved)) continue;
                var live = (Tensor?)field.GetValue(states[i]);
                long[] expected = live?.shape ?? parameters[i].shape;
                if (!saved.shape.SequenceEqual(expected))
                    problems.Add($"state.{i}.{field.Name}: shape [{string.Join(", ", saved.shape)}] in the state, [{string.Join(", ", expected)}] in the optimizer");
            }
        }
        if (problems.Count > 0) throw new StateMismatchException("the optimizer", problems);
    }

    static void LoadField(StateDict state, object target, FieldInfo field, string key, Parameter parameter)
    {
        if (field.FieldType != typeof(Tensor))
        {
            field.SetValue(target, Read(state, key, field.FieldType));
            return;
        }
        var live = (Tensor?)field.GetValue(target);
        if (!state.Tensors.TryGetValue(key, out var saved))
        {
            // Absent means "not created yet" (e.g. SGD's momentum buffer before the first step).
            live?.Dispose();
            field.SetValue(target, null);
            return;
        }
        using var noGrad = no_grad();
        if (live is not null && live.dtype == saved.dtype) live.copy_(saved);
        else
        {
            field.SetValue(target, saved.to(live?.dtype ?? parameter.dtype, parameter.device, copy: true).DetachFromDisposeScope());
            live?.Dispose();
        }
    }

    static object? Read(StateDict state, string key, Type type)
    {
        if (!state.Values.TryGetValue(key, out var node)) throw new InvalidDataException($"The optimizer state has no value '{key}'; it was saved by another optimizer configuration.");
        return JsonScalar.To(node, type, key);
    }

    static IEnumerable<FieldInfo> OptionFields(OptimizerOptions options) => PublicFields(options.GetType(), typeof(OptimizerOptions));

    static IEnumerable<FieldInfo> StateFields(TorchSharp.Modules.OptimizerState state) => PublicFields(state.GetType(), typeof(TorchSharp.Modules.OptimizerState));

    static IEnumerable<FieldInfo> PublicFields(Type type, Type stop)
    {
        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance);
        foreach (var field in fields.Where(f => f.DeclaringType != stop).OrderBy(f => f.MetadataToken))
        {
            if (field.FieldType == typeof(Tensor) || (JsonScalar.Supports(field.FieldType) && field.FieldType != typeof(string))) yield return field;
            else throw new NotSupportedException($"{type.FullName} has state field '{field.Name}' of type {field.FieldType.Name}, which cannot be checkpointed.");
        }
    }
}
