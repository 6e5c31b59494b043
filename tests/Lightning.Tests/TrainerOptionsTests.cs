using Xunit;

namespace Unified.Lightning.Tests;

public sealed class TrainerOptionsTests
{
    [Fact]
    public void Defaults_AreLightningsAndValid()
    {
        var options = new TrainerOptions();

        options.Validate();
        Assert.Equal(1000, options.MaxEpochs);
        Assert.Equal("auto", options.Accelerator);
        Assert.Equal(1, options.AccumulateGradBatches);
        Assert.Null(options.GradientClipVal);
        Assert.Null(options.LimitValBatches);
        Assert.Null(options.Seed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void MaxEpochsBelowOne_ThrowsNamingMaxEpochs(int maxEpochs)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { MaxEpochs = maxEpochs }));
        Assert.Equal(nameof(TrainerOptions.MaxEpochs), e.ParamName);
    }

    [Fact]
    public void UnknownAccelerator_ThrowsNamingTheFieldAndTheValidValues()
    {
        var e = Assert.Throws<ArgumentException>(() => new Trainer(new TrainerOptions { Accelerator = "tpu" }));
        Assert.Equal(nameof(TrainerOptions.Accelerator), e.ParamName);
        Assert.Contains("'tpu'", e.Message);
        Assert.Contains("cpu, cuda, auto", e.Message);
    }

    [Fact]
    public void NegativeLimitValBatches_ThrowsNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { LimitValBatches = -1 }));
        Assert.Equal(nameof(TrainerOptions.LimitValBatches), e.ParamName);
    }

    [Fact]
    public void AccumulateGradBatchesBelowOne_ThrowsNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { AccumulateGradBatches = 0 }));
        Assert.Equal(nameof(TrainerOptions.AccumulateGradBatches), e.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void InvalidGradientClipVal_ThrowsNamingTheField(double clip)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { GradientClipVal = clip }));
        Assert.Equal(nameof(TrainerOptions.GradientClipVal), e.ParamName);
    }
}
