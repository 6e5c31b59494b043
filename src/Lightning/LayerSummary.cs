namespace Unified.Lightning;

/// <summary>One row of a <see cref="ModelSummary"/>: a layer, its type, its parameters and its mode.</summary>
/// <param name="Name">Dotted module name (<c>fc1</c>, <c>features.0</c>).</param>
/// <param name="Type">The module's type name (<c>Linear</c>).</param>
/// <param name="Parameters">Parameters of the layer and everything inside it.</param>
/// <param name="Training">Whether the layer is in training mode (else eval).</param>
public sealed record LayerSummary(string Name, string Type, long Parameters, bool Training);
