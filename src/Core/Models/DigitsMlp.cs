using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Models;

/// <summary>784-H-10 multi-layer perceptron with ReLU, for flat 28x28 digits (H = 256 by default).</summary>
public sealed class DigitsMlp : nn.Module<Tensor, Tensor>, IDeclaresInputLayout
{
    readonly Linear fc1, fc2;

    /// <summary>Creates the 784-256-10 network with libtorch's default initialisation (seed first for reproducibility).</summary>
    public DigitsMlp() : this(256) { }

    /// <summary>Creates a 784-<paramref name="hiddenWidth"/>-10 network (the width is what hyper-parameter searches vary).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hiddenWidth"/> is not positive.</exception>
    public DigitsMlp(int hiddenWidth) : base(nameof(DigitsMlp))
    {
        if (hiddenWidth < 1) throw new ArgumentOutOfRangeException(nameof(hiddenWidth), hiddenWidth, "The hidden width must be a positive number of units.");
        HiddenWidth = hiddenWidth;
        (fc1, fc2) = (nn.Linear(784, hiddenWidth), nn.Linear(hiddenWidth, 10));
        RegisterComponents();
    }

    /// <summary>Units of the hidden layer.</summary>
    public int HiddenWidth { get; }

    /// <inheritdoc />
    public Data.InputLayout Layout => Data.InputLayout.Flat;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var hidden = fc1.call(input);
        using var activated = nn.functional.relu(hidden);
        return fc2.call(activated);
    }
}
