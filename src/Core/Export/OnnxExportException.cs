namespace Unified.Core.Export;

/// <summary>
/// A module cannot be exported to ONNX: no exporter is registered for its type, or it is configured in a way the
/// exporter does not support. Names the module's type and its path in the model.
/// </summary>
public sealed class OnnxExportException(string moduleType, string modulePath, string message) : NotSupportedException(message)
{
    /// <summary>The full name of the module's type.</summary>
    public string ModuleType { get; } = moduleType;

    /// <summary>The module's path in the model, as its state-dict names start (<c>"layers.2"</c>; <c>"(root)"</c> for the model itself).</summary>
    public string ModulePath { get; } = modulePath;
}
