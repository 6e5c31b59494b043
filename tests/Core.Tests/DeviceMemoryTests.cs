using Unified.Core.Accelerators;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class DeviceMemoryTests
{
    [Fact]
    public void ReleaseCachedMemory_OnCpu_IsANoOp() => Assert.False(DeviceMemory.ReleaseCachedMemory(CPU));
}
