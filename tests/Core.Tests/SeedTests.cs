using TorchSharp;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class SeedTests
{
    [Fact]
    public void Derive_IsDeterministic()
    {
        Assert.Equal(Seed.Derive(42, 0), Seed.Derive(42, 0));
        Assert.Equal(Seed.Derive(-7, 123), Seed.Derive(-7, 123));
    }

    [Fact]
    public void Derive_DiffersPerStreamAndPerSeed()
    {
        var perStream = Enumerable.Range(0, 1000).Select(s => Seed.Derive(42, s)).ToHashSet();
        var perSeed = Enumerable.Range(0, 1000).Select(s => Seed.Derive(s, 0)).ToHashSet();

        Assert.Equal(1000, perStream.Count);
        Assert.Equal(1000, perSeed.Count);
        Assert.NotEqual(Seed.Derive(42, 1), Seed.Derive(43, 0));
    }

    [Fact]
    public void Derive_IsNonNegative()
    {
        Assert.All(Enumerable.Range(-500, 1000), s => Assert.True(Seed.Derive(s, s * 31L) >= 0));
        Assert.True(Seed.Derive(long.MinValue, long.MaxValue) >= 0);
    }

    [Fact]
    public void Everything_MakesTorchRandomNumbersRepeatable()
    {
        Seed.Everything(123);
        using var first = torch.randn(5);
        Seed.Everything(123);
        using var second = torch.randn(5);
        Seed.Everything(124);
        using var third = torch.randn(5);

        Assert.Equal(first.data<float>().ToArray(), second.data<float>().ToArray());
        Assert.NotEqual(first.data<float>().ToArray(), third.data<float>().ToArray());
        Assert.Equal(124, Seed.Current);
    }

    [Fact]
    public void Everything_MatchesTorchManualSeed()
    {
        Seed.Everything(9);
        using var ours = torch.rand(4);
        torch.manual_seed(9);
        using var torchs = torch.rand(4);

        Assert.Equal(torchs.data<float>().ToArray(), ours.data<float>().ToArray());
    }
}
