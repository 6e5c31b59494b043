using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class WeightsHashTests
{
    static DigitsMlp Seeded(long seed)
    {
        torch.manual_seed(seed);
        return new DigitsMlp();
    }

    [Fact]
    public void EqualWeights_GiveEqualHashes()
    {
        using var a = Seeded(42);
        using var b = Seeded(42);

        Assert.Equal(WeightsHash.Sha256(a), WeightsHash.Sha256(b));
    }

    [Fact]
    public void Hash_IsLowerCaseHexSha256()
    {
        using var model = Seeded(42);

        string hash = WeightsHash.Sha256(model);

        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public void Hash_IsTheSha256OfTheRawStateDictBytesInOrder()
    {
        using var model = nn.Linear(2, 1);
        using (no_grad())
        {
            model.weight!.copy_(tensor(new float[] { 1f, -2f }).reshape(1, 2));
            model.bias!.copy_(tensor(new float[] { 0.5f }));
        }
        byte[] bytes = [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(-2f), .. BitConverter.GetBytes(0.5f)];

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), WeightsHash.Sha256(model));
    }

    [Fact]
    public void OneChangedElement_GivesADifferentHash()
    {
        using var a = Seeded(42);
        using var b = Seeded(42);
        string before = WeightsHash.Sha256(b);

        using (no_grad()) b.state_dict()["fc2.bias"][3].add_(1e-6f);

        Assert.NotEqual(before, WeightsHash.Sha256(b));
        Assert.NotEqual(WeightsHash.Sha256(a), WeightsHash.Sha256(b));
    }

    [Fact]
    public void DifferentSeeds_GiveDifferentHashes()
    {
        using var a = Seeded(1);
        using var b = Seeded(2);

        Assert.NotEqual(WeightsHash.Sha256(a), WeightsHash.Sha256(b));
    }
}
