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
    public void UnknownStrategy_ThrowsNamingTheFieldAndTheValidValues()
    {
        var e = Assert.Throws<ArgumentException>(() => new Trainer(new TrainerOptions { Strategy = "fsdp" }));
        Assert.Equal(nameof(TrainerOptions.Strategy), e.ParamName);
        Assert.Contains("auto, ddp", e.Message);
    }

    [Theory]
    [InlineData(0, 1, nameof(TrainerOptions.Devices))]
    [InlineData(2, 0, nameof(TrainerOptions.NumNodes))]
    public void DevicesOrNodesBelowOne_ThrowNamingTheField(int devices, int nodes, string field)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { Devices = devices, NumNodes = nodes }));
        Assert.Equal(field, e.ParamName);
    }

    [Fact]
    public void DdpOnTwoDevices_InAProcessStartedAlone_FailsSayingHowToLaunch()
    {
        var trainer = new Trainer(new TrainerOptions { Strategy = "ddp", Devices = 2, MaxEpochs = 1, Accelerator = "cpu" });
        using var data = new Unified.Testing.SliceDataModule(64, 0, 32);
        using var module = new RecordingModule(new HookLog());
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(module, data));
        Assert.Contains("need 2 processes", e.Message);
        Assert.Contains("mpirun -np 2", e.Message);
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
