using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>A fingerprint of a model's weights: equal weights, equal hash.</summary>
public static class WeightsHash
{
    /// <summary>
    /// SHA-256 (lower-case hex) of every parameter and buffer in state-dict order, as raw little-endian bytes.
    /// </summary>
    public static string Sha256(nn.Module module)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (_, tensor) in module.state_dict())
            sha.AppendData(tensor.detach().cpu().contiguous().bytes);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
