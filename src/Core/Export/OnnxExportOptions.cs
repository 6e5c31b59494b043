namespace Unified.Core.Export;

/// <summary>How <see cref="OnnxExporter"/> writes a model.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The lowest operator set written (what Debian's onnx 1.12 checker and every current runtime read).</summary>
    public const int MinOpset = 17;

    /// <summary>The highest operator set accepted.</summary>
    public const int MaxOpset = 21;

    /// <summary>The ONNX operator set version (default 17).</summary>
    public int Opset { get; init; } = MinOpset;

    /// <summary>The graph input's name.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The symbolic name of dimension 0 of the input and output, which is left dynamic.</summary>
    public string BatchAxis { get; init; } = "batch";

    /// <summary>The exporters to use; register your own module types here.</summary>
    public OnnxExporterRegistry Exporters { get; init; } = OnnxExporterRegistry.CreateDefault();

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        if (Opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(Opset), Opset, $"Opset must be between {MinOpset} and {MaxOpset}.");
        foreach (var (name, value) in new[] { (nameof(InputName), InputName), (nameof(OutputName), OutputName), (nameof(BatchAxis), BatchAxis) })
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{name} must not be empty.", name);
        if (InputName == OutputName) throw new ArgumentException($"InputName and OutputName must differ (both '{InputName}').", nameof(OutputName));
        ArgumentNullException.ThrowIfNull(Exporters, nameof(Exporters));
    }
}
