using Unified.Core.Data;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class BatchTests
{
    [Fact]
    public void Size_IsTheFirstDimensionOfTheInput()
    {
        using var batch = new Batch(zeros(7, 3), zeros(7, ScalarType.Int64));

        Assert.Equal(7, batch.Size);
    }

    [Fact]
    public void MoveTo_TheSameDevice_ReturnsTheSameBatchUndisposed()
    {
        var batch = new Batch(ones(2, 3), zeros(2, ScalarType.Int64));

        using var moved = batch.MoveTo(CPU);

        Assert.Same(batch, moved);
        Assert.Equal(6f, moved.Input.sum().item<float>());
    }

    [Fact]
    public void Dispose_ReleasesInputAndTarget()
    {
        var batch = new Batch(ones(2), zeros(2, ScalarType.Int64));

        batch.Dispose();

        Assert.True(batch.Input.IsInvalid);
        Assert.True(batch.Target.IsInvalid);
    }
}
