using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Models;

/// <summary>Checks a batch's input against the layout its network declares, before the network fails deep inside a layer.</summary>
public static class InputLayoutCheck
{
    /// <summary>Throws when <paramref name="network"/> declares a layout that <paramref name="input"/> (a batch) does not have.</summary>
    /// <exception cref="InvalidOperationException">The layouts differ; the message names <see cref="DigitsDataOptions.Layout"/> and the layout to set.</exception>
    public static void ThrowIfMismatched(nn.Module network, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        if (network is not IDeclaresInputLayout declared) return;
        long expected = declared.Layout == InputLayout.Image ? 4 : 2;
        if (input.dim() == expected) return;
        string shape = string.Join(", ", input.shape);
        string wanted = declared.Layout == InputLayout.Image ? "images [N, 1, 28, 28]" : "flat rows [N, 784]";
        throw new InvalidOperationException($"{network.GetType().Name} takes {wanted} but the batches are [{shape}]; "
            + $"load the data with DigitsDataOptions.Layout = InputLayout.{declared.Layout} (the CLI sets it from --model).");
    }
}
