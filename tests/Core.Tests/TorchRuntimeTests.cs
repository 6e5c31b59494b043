using TorchSharp;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void Initialize_DoesNotThrow_AndIsIdempotent()
    {
        TorchRuntime.Initialize();
        TorchRuntime.Initialize();
        TorchRuntime.EnsureNativeLoaded();
    }

    [Fact]
    public void TorchSharp_MultipliesMatricesCorrectly()
    {
        TorchRuntime.Initialize();
        using var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = tensor(new float[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
        using var product = a.matmul(b);

        Assert.Equal(new long[] { 2, 2 }, product.shape);
        Assert.Equal(new float[] { 58, 64, 139, 154 }, product.data<float>().ToArray());
    }

    [Fact]
    public void TorchSharp_ComputesGradients()
    {
        using var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();

        Assert.Equal(new float[] { 2, 4, 6 }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void MallocTuning_AppliesOnThisGlibcHost()
    {
        Assert.True(MallocTuning.IsSupported);
        Assert.True(MallocTuning.Apply());
    }

    [Fact]
    public void MallocTuning_EnvironmentVariables_MatchTheInProcessSettings()
    {
        Assert.Equal("0", MallocTuning.EnvironmentVariables["MALLOC_MMAP_MAX_"]);
        Assert.Equal((1 << 30).ToString(), MallocTuning.EnvironmentVariables["MALLOC_TRIM_THRESHOLD_"]);
        Assert.Equal((256 << 20).ToString(), MallocTuning.EnvironmentVariables["MALLOC_TOP_PAD_"]);
    }

    [Fact]
    public void Initialize_WithThreads_SetsLibTorchThreadCount()
    {
        int before = torch.get_num_threads();
        try
        {
            TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
            Assert.Equal(1, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Initialize_WithNonPositiveThreads_ThrowsNamingThreads(int threads)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Initialize(new RuntimeOptions { Threads = threads }));
        Assert.Equal(nameof(RuntimeOptions.Threads), e.ParamName);
    }
}
