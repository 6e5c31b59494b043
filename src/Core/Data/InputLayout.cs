namespace Unified.Core.Data;

/// <summary>How image samples are shaped for the model.</summary>
public enum InputLayout
{
    /// <summary>One vector per sample (784 for 28x28), for MLPs.</summary>
    Flat,

    /// <summary>Channels x height x width (1x28x28), for CNNs.</summary>
    Image,
}
