namespace Unified.Core.Runtime;

/// <summary>An environment variable Unified reads is set to a value it cannot use.</summary>
public sealed class InvalidEnvironmentVariableException(string name, string value, string allowed)
    : InvalidOperationException($"{name}='{value}' is not valid; use {allowed}, or unset it.")
{
    /// <summary>The variable's name.</summary>
    public string Name { get; } = name;
}
