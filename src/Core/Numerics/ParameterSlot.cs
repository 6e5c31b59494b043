using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// Where a module keeps one parameter: its registration and the field its <c>forward</c> reads. Swapping the object
/// in a slot is how a network runs on a compute copy while the optimiser keeps the master parameter; it mirrors what
/// TorchSharp's own <c>Module.to(dtype)</c> does, without disposing the object it replaces.
/// </summary>
sealed class ParameterSlot
{
    static readonly MethodInfo Register = typeof(nn.Module).GetMethod("ConditionallyRegisterParameter",
        BindingFlags.Instance | BindingFlags.NonPublic, [typeof(string), typeof(Parameter)])
        ?? throw new MissingMethodException("TorchSharp's Module.ConditionallyRegisterParameter(string, Parameter) was not found; this TorchSharp version is not supported by mixed precision.");

    readonly nn.Module owner;
    readonly string name;
    readonly FieldInfo[] fields;

    public ParameterSlot(nn.Module owner, string name, Parameter current)
    {
        (this.owner, this.name) = (owner, name);
        fields = FieldsHolding(owner, current);
    }

    /// <summary>Puts <paramref name="parameter"/> in the slot.</summary>
    public void Set(Parameter parameter)
    {
        Register.Invoke(owner, [name, parameter]);
        foreach (var field in fields) field.SetValue(owner, parameter);
    }

    static FieldInfo[] FieldsHolding(nn.Module owner, Parameter current)
    {
        var found = new List<FieldInfo>();
        for (var type = owner.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (field.FieldType.IsAssignableFrom(typeof(Parameter)) && ReferenceEquals(field.GetValue(owner), current))
                    found.Add(field);
        return [.. found];
    }
}
