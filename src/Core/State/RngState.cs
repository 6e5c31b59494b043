using TorchSharp;

namespace Unified.Core.State;

/// <summary>
/// libtorch's global CPU generator as a stateful part (PyTorch's <c>torch.get_rng_state()</c>), so that dropout and
/// other random ops continue the same stream after a resume. Data order needs no state: it is a function of (seed, epoch).
/// </summary>
public sealed class RngState : IStateful
{
    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Tensors["cpu"] = torch.random.get_rng_state();
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        var saved = state.Tensor("cpu");
        if (saved.dtype != torch.ScalarType.Byte || saved.dim() != 1)
            throw new InvalidDataException($"The saved CPU generator state is a {saved.dtype} tensor of shape [{string.Join(", ", saved.shape)}]; it must be a 1-D byte tensor.");
        using var current = torch.random.get_rng_state();
        if (current.shape[0] != saved.shape[0])
            throw new InvalidDataException($"The saved CPU generator state has {saved.shape[0]} bytes; this libtorch's has {current.shape[0]}.");
        torch.random.set_rng_state(saved);
    }
}
