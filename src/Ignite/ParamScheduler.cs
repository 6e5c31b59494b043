using System.Globalization;
using System.Reflection;
using TorchSharp.Modules;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Sets an optimizer parameter (<c>lr</c>, or any option of the parameter groups such as <c>weight_decay</c> or
/// <c>momentum</c>) each time it is called, as Ignite's <c>ParamScheduler</c> (ignite/handlers/param_scheduler.py):
/// the value is a function of the event index, which advances by one per call. Stateful, so a checkpoint resumes the schedule.
/// </summary>
/// <example><code>trainer.On(Events.IterationStarted, new CosineAnnealingScheduler(optimizer, "lr", 1e-2, 1e-4, cycleSize: 100).Handle);</code></example>
public abstract class ParamScheduler : IStateful
{
    readonly optim.Optimizer optimizer;

    /// <summary>Schedules <paramref name="paramName"/> of every parameter group of <paramref name="optimizer"/>.</summary>
    /// <exception cref="ArgumentException">The optimizer's groups have no such parameter.</exception>
    protected ParamScheduler(optim.Optimizer optimizer, string paramName)
    {
        this.optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        ArgumentException.ThrowIfNullOrWhiteSpace(paramName);
        ParamName = paramName;
        foreach (var group in Groups()) _ = Member(group, paramName);
    }

    /// <summary>The parameter this scheduler sets.</summary>
    public string ParamName { get; }

    /// <summary>Calls so far (Ignite's <c>event_index</c>).</summary>
    public long EventIndex { get; protected set; }

    /// <summary>The value for the current event index.</summary>
    public abstract double GetParam();

    /// <summary>The handler to attach (typically to <c>IterationStarted</c>): sets the parameter, then advances the index.</summary>
    public virtual void Handle(Engine engine)
    {
        Apply(GetParam());
        EventIndex++;
    }

    /// <summary>The parameter's current value in the first group.</summary>
    public double CurrentValue => Read(Groups()[0]);

    /// <summary>Sets the parameter in every group.</summary>
    protected void Apply(double value)
    {
        foreach (var group in Groups()) Write(group, value);
    }

    /// <inheritdoc />
    public virtual StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["event_index"] = EventIndex;
        return state;
    }

    /// <inheritdoc />
    public virtual void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        EventIndex = state.Value<long>("event_index");
    }

    List<ParamGroup> Groups() => [.. optimizer.ParamGroups.OfType<ParamGroup>()];

    double Read(ParamGroup group) => ParamName == "lr" ? group.LearningRate : Convert.ToDouble(Get(group, Member(group, ParamName)), CultureInfo.InvariantCulture);

    void Write(ParamGroup group, double value)
    {
        if (ParamName == "lr") group.LearningRate = value;
        else Set(group, Member(group, ParamName), value);
    }

    // TorchSharp keeps the per-group options (weight_decay, momentum, beta1, ...) on the group's Options object.
    static MemberInfo Member(ParamGroup group, string name)
    {
        if (name == "lr") return typeof(ParamGroup).GetProperty(nameof(ParamGroup.LearningRate))!;
        var options = group.Options ?? throw new ArgumentException($"The optimizer's parameter groups carry no options to schedule '{name}'.", nameof(name));
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase;
        string pascal = string.Concat(name.Split('_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
        return (MemberInfo?)options.GetType().GetProperty(name, flags) ?? options.GetType().GetField(name, flags)
            ?? (MemberInfo?)options.GetType().GetProperty(pascal, flags) ?? options.GetType().GetField(pascal, flags)
            ?? throw new ArgumentException($"The optimizer's parameter groups have no parameter '{name}'; use 'lr' or one of: " +
                string.Join(", ", options.GetType().GetProperties().Select(p => p.Name).Concat(options.GetType().GetFields().Select(f => f.Name))) + ".", nameof(name));
    }

    static object? Get(ParamGroup group, MemberInfo member) => member switch
    {
        PropertyInfo p => p.GetValue(group.Options),
        FieldInfo f => f.GetValue(group.Options),
        _ => null,
    };

    static void Set(ParamGroup group, MemberInfo member, double value)
    {
        var type = member is PropertyInfo p ? p.PropertyType : ((FieldInfo)member).FieldType;
        object boxed = Convert.ChangeType(value, Nullable.GetUnderlyingType(type) ?? type, CultureInfo.InvariantCulture);
        if (member is PropertyInfo property) property.SetValue(group.Options, boxed);
        else ((FieldInfo)member).SetValue(group.Options, boxed);
    }
}
