namespace Unified.Core.Training;

/// <summary>How gradients are clipped before the optimiser step.</summary>
public enum GradientClipAlgorithm
{
    /// <summary>Scale all gradients so their total L2 norm is at most the clip value.</summary>
    Norm,

    /// <summary>Clamp every gradient element to [-value, value].</summary>
    Value,
}
