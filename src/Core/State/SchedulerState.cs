using System.Reflection;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.State;

/// <summary>
/// A learning-rate scheduler's state as a stateful part. As PyTorch's <c>LRScheduler.state_dict()</c> saves every
/// attribute but the optimiser, this saves every field of the scheduler (counters such as <c>_last_epoch</c> and
/// <c>_step_count</c>, base and last rates, ReduceLROnPlateau's <c>best</c> and <c>num_bad_epochs</c>) except the
/// optimiser and delegates (lambdas, which PyTorch does not save either). The optimiser's current rates are part of
/// <see cref="OptimizerState"/>.
/// </summary>
public sealed class SchedulerState(optim.lr_scheduler.LRScheduler scheduler) : IStateful
{
    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["type"] = scheduler.GetType().Name;
        foreach (var field in Fields())
        {
            object? value = field.GetValue(scheduler);
            state.Values[field.Name] = value is IEnumerable<double> list ? new JsonArray(list.Select(v => JsonScalar.From(v)).ToArray()) : JsonScalar.From(value);
        }
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        string type = state.Value<string>("type");
        if (type != scheduler.GetType().Name)
            throw new InvalidDataException($"The scheduler state is for {type}, but the scheduler is {scheduler.GetType().Name}.");
        foreach (var field in Fields())
        {
            if (!state.Values.TryGetValue(field.Name, out var node))
                throw new InvalidDataException($"The scheduler state has no value '{field.Name}'; it was saved by another scheduler version.");
            field.SetValue(scheduler, IsList(field.FieldType) ? ReadList(node, field) : JsonScalar.To(node, field.FieldType, field.Name));
        }
    }

    IEnumerable<FieldInfo> Fields()
    {
        for (var type = scheduler.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).OrderBy(f => f.MetadataToken))
            {
                if (typeof(optim.Optimizer).IsAssignableFrom(field.FieldType) || typeof(Delegate).IsAssignableFrom(field.FieldType)) continue;
                if (!JsonScalar.Supports(field.FieldType) && !IsList(field.FieldType))
                    throw new NotSupportedException($"Scheduler {scheduler.GetType().Name} has field '{field.Name}' of type {field.FieldType.Name}, which cannot be checkpointed.");
                yield return field;
            }
        }
    }

    static bool IsList(Type type) => type == typeof(IList<double>) || type == typeof(List<double>) || type == typeof(double[]) || type == typeof(IEnumerable<double>);

    static object? ReadList(JsonNode? node, FieldInfo field)
    {
        if (node is null) return null;
        if (node is not JsonArray array) throw new InvalidDataException($"Scheduler state value '{field.Name}' is {node.ToJsonString()}, not a list of numbers.");
        var values = array.Select((n, i) => (double)JsonScalar.To(n, typeof(double), $"{field.Name}[{i}]")!).ToList();
        return field.FieldType == typeof(double[]) ? values.ToArray() : values;
    }
}
