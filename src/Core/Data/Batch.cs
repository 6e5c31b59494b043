using static TorchSharp.torch;

namespace Unified.Core.Data;

/// <summary>One mini-batch: inputs and targets, owned by whoever enumerates it (dispose after the step).</summary>
public sealed class Batch(Tensor input, Tensor target) : IDisposable
{
    /// <summary>Model inputs; the first dimension is the batch.</summary>
    public Tensor Input { get; } = input;

    /// <summary>Targets (class indices for classification).</summary>
    public Tensor Target { get; } = target;

    /// <summary>Number of samples.</summary>
    public int Size => (int)Input.size(0);

    /// <summary>
    /// Moves the batch to <paramref name="device"/>: returns itself when already there, otherwise a copy and disposes
    /// this one, so <c>using var batch = raw.MoveTo(device);</c> owns whichever remains.
    /// </summary>
    public Batch MoveTo(Device device)
    {
        // TorchSharp's Device has no value equality (== compares references), so compare type and index.
        if (IsOn(Input, device) && IsOn(Target, device)) return this;
        var moved = new Batch(Input.to(device), Target.to(device));
        Dispose();
        return moved;
    }

    static bool IsOn(Tensor tensor, Device device) => tensor.device_type == device.type && tensor.device_index == device.index;

    /// <inheritdoc />
    public void Dispose()
    {
        Input.Dispose();
        Target.Dispose();
    }
}
