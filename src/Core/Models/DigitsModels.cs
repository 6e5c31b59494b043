using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Models;

/// <summary>The built-in digit classifiers by name, as the CLI's <c>--model</c> spells them.</summary>
public static class DigitsModels
{
    /// <summary>Valid model names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn"];

    /// <summary>The classes every built-in model predicts (the ten digits).</summary>
    public const int ClassCount = 10;

    /// <summary>The image size every built-in model takes (MNIST's 28x28).</summary>
    public static (int Rows, int Columns) ImageSize => (28, 28);

    /// <summary>Creates the named network (seed first for reproducible weights).</summary>
    public static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "mlp" => new DigitsMlp(),
        "cnn" => new DigitsCnn(),
        _ => throw Unknown(name),
    };

    /// <summary>The input layout the named network expects.</summary>
    public static InputLayout LayoutOf(string name) => name switch
    {
        "mlp" => InputLayout.Flat,
        "cnn" => InputLayout.Image,
        _ => throw Unknown(name),
    };

    static ArgumentException Unknown(string name) =>
        new($"Unknown model '{name}'. Valid models: {string.Join(", ", Names)}.", nameof(name));
}
