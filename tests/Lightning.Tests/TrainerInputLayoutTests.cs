using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

/// <summary>
/// A CNN on the default flat digits is refused with the fix (issue 11: it failed with "Expected 3D (unbatched) or 4D
/// (batched) input with 1 channels to Conv2d", which did not point to <c>InputLayout.Image</c>).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerInputLayoutTests
{
    [Fact]
    public void Fit_ACnnOnFlatDigits_IsRefusedNamingInputLayoutImage()
    {
        using var data = new SliceDataModule(trainCount: 32, validationCount: 16, batchSize: 16);
        using var module = new ClassificationModule(new DigitsCnn(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", EnableCheckpointing = false });

        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(module, data));

        Assert.Contains("DigitsCnn takes images [N, 1, 28, 28] but the batches are [16, 784]", e.Message);
        Assert.Contains("InputLayout.Image", e.Message);
    }

    [Fact]
    public void Fit_ACnnOnImageDigits_Trains()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 250, Layout = InputLayout.Image });
        using var module = new ClassificationModule(new DigitsCnn(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", EnableCheckpointing = false, LimitTrainBatches = 4, LimitValBatches = 2 });

        trainer.Fit(module, data);

        Assert.Equal(4, trainer.GlobalStep);
    }
}
