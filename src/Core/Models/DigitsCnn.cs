using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Unified.Core.Models;

/// <summary>
/// Small CNN for 1x28x28 digits: conv 1→16 3x3, ReLU, max-pool 2, conv 16→32 3x3, ReLU, max-pool 2, linear 800→10.
/// </summary>
public sealed class DigitsCnn : nn.Module<Tensor, Tensor>, IDeclaresInputLayout
{
    readonly Conv2d conv1 = nn.Conv2d(1, 16, 3), conv2 = nn.Conv2d(16, 32, 3);
    readonly Linear fc = nn.Linear(800, 10);

    /// <summary>Creates the network with libtorch's default initialisation (seed first for reproducibility).</summary>
    public DigitsCnn() : base(nameof(DigitsCnn)) => RegisterComponents();

    /// <inheritdoc />
    public Data.InputLayout Layout => Data.InputLayout.Image;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var c1 = conv1.call(input);
        using var r1 = nn.functional.relu(c1);
        using var p1 = nn.functional.max_pool2d(r1, 2);
        using var c2 = conv2.call(p1);
        using var r2 = nn.functional.relu(c2);
        using var p2 = nn.functional.max_pool2d(r2, 2);
        using var flat = p2.flatten(1);
        return fc.call(flat);
    }
}
