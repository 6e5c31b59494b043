using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class AcceleratorTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Resolve_Cpu_GivesTheCpuDevice(string name)
    {
        var accelerator = Accelerator.Resolve(name);

        Assert.Equal("cpu", accelerator.Name);
        Assert.Equal(DeviceType.CPU, accelerator.Device.type);
        Assert.Equal(1, accelerator.DeviceCount);
    }

    [Fact]
    public void Resolve_Auto_FallsBackToCpuWithoutCuda()
    {
        Assert.False(torch.cuda.is_available(), "This suite runs on the CPU build.");

        Assert.Equal("cpu", Accelerator.Resolve("auto").Name);
    }

    [Fact]
    public void Resolve_CudaWithoutCuda_ThrowsInvalidOperationSayingWhatToDo()
    {
        Assert.False(torch.cuda.is_available(), "This suite runs on the CPU build.");

        var e = Assert.Throws<InvalidOperationException>(() => Accelerator.Resolve("cuda"));
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Contains("UnifiedTorchBackend=cuda", e.Message);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("")]
    [InlineData(null)]
    public void Resolve_UnknownName_ThrowsArgumentListingTheValidNames(string? name)
    {
        var e = Assert.Throws<ArgumentException>(() => Accelerator.Resolve(name!));
        Assert.Equal("name", e.ParamName);
        Assert.All(Accelerator.Names, valid => Assert.Contains(valid, e.Message));
    }
}
