using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Models;

/// <summary>784-256-10 multi-layer perceptron with ReLU, for flat 28x28 digits.</summary>
public sealed class DigitsMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1 = nn.Linear(784, 256), fc2 = nn.Linear(256, 10);

    /// <summary>Creates the network with libtorch's default initialisation (seed first for reproducibility).</summary>
    public DigitsMlp() : base(nameof(DigitsMlp)) => RegisterComponents();

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var hidden = fc1.call(input);
        using var activated = nn.functional.relu(hidden);
        return fc2.call(activated);
    }
}
