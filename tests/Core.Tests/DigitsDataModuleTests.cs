using Unified.Core.Data;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class DigitsDataModuleTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Batch First(IBatchLoader loader, int epoch = 0) => loader.Epoch(epoch).First();

    [Fact]
    public void Bundled_SplitsInto8000TrainingAnd2000ValidationSamples()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });

        Assert.Equal(8000, data.Train.SampleCount);
        Assert.Equal(125, data.Train.Count);
        Assert.NotNull(data.Validation);
        Assert.Equal(2000, data.Validation.SampleCount);
        Assert.Equal(32, data.Validation.Count);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(8000, data.Train.Epoch(0).Sum(b => { using var _ = b; return b.Size; }));
    }

    [Fact]
    public void Bundled_PixelsAreScaledToTheUnitInterval()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 2000 });
        using var batch = First(data.Validation!);

        Assert.Equal(ScalarType.Float32, batch.Input.dtype);
        Assert.Equal(0f, batch.Input.min().item<float>());
        Assert.Equal(1f, batch.Input.max().item<float>());
        Assert.Equal(ScalarType.Int64, batch.Target.dtype);
        Assert.Equal(0L, batch.Target.min().item<long>());
        Assert.Equal(9L, batch.Target.max().item<long>());
    }

    [Fact]
    public void FlatLayout_GivesBatchesOf784Vectors()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { Layout = InputLayout.Flat });
        using var batch = First(data.Train);

        Assert.Equal(new long[] { 64, 784 }, batch.Input.shape);
        Assert.Equal(new long[] { 64 }, batch.Target.shape);
        Assert.Equal(new long[] { 784 }, data.InputShape);
    }

    [Fact]
    public void ImageLayout_GivesBatchesOf1x28x28Images()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { Layout = InputLayout.Image });
        using var batch = First(data.Train);

        Assert.Equal(new long[] { 64, 1, 28, 28 }, batch.Input.shape);
        Assert.Equal(new long[] { 1, 28, 28 }, data.InputShape);
    }

    [Fact]
    public void ImageAndFlatLayouts_HoldTheSamePixels()
    {
        using var flat = new DigitsDataModule(new DigitsDataOptions { Layout = InputLayout.Flat });
        using var image = new DigitsDataModule(new DigitsDataOptions { Layout = InputLayout.Image });
        using var a = First(flat.Train);
        using var b = First(image.Train);

        Assert.True(TensorBits.Equal(a.Input, b.Input.reshape(64, 784)));
    }

    [Fact]
    public void Validation_HoldsTheLastSamplesOfTheFileInFileOrder()
    {
        var (_, pixels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-images-idx3-ubyte.gz"));
        var (_, labels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-labels-idx1-ubyte.gz"));
        using var data = new DigitsDataModule();
        using var batch = First(data.Validation!);

        using var expected = tensor(pixels[(8000 * 784)..(8064 * 784)], ScalarType.Byte).reshape(64, 784).to_type(ScalarType.Float32) / 255f;
        Assert.True(TensorBits.Equal(batch.Input, expected));
        Assert.Equal(labels[8000..8064].Select(l => (long)l).ToArray(), batch.Target.data<long>().ToArray());
    }

    [Fact]
    public void Validation_IsNotShuffled_BetweenEpochs()
    {
        using var data = new DigitsDataModule();
        using var epoch0 = First(data.Validation!, 0);
        using var epoch1 = First(data.Validation!, 1);

        Assert.True(TensorBits.Equal(epoch0.Input, epoch1.Input));
    }

    [Fact]
    public void SameSeed_GivesTheSameFirstBatch()
    {
        using var a = new DigitsDataModule(new DigitsDataOptions { Seed = 7 });
        using var b = new DigitsDataModule(new DigitsDataOptions { Seed = 7 });
        using var first = First(a.Train);
        using var second = First(b.Train);

        Assert.True(TensorBits.Equal(first.Input, second.Input));
        Assert.True(TensorBits.Equal(first.Target, second.Target));
    }

    [Fact]
    public void DifferentSeed_GivesADifferentFirstBatch()
    {
        using var a = new DigitsDataModule(new DigitsDataOptions { Seed = 7 });
        using var b = new DigitsDataModule(new DigitsDataOptions { Seed = 8 });
        using var first = First(a.Train);
        using var second = First(b.Train);

        Assert.False(TensorBits.Equal(first.Input, second.Input));
    }

    [Fact]
    public void DifferentEpoch_GivesADifferentOrderOfTheSameSamples()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 8000 });
        using var epoch0 = First(data.Train, 0);
        using var epoch1 = First(data.Train, 1);

        Assert.False(TensorBits.Equal(epoch0.Input, epoch1.Input));
        // Same multiset of samples: the per-class counts agree.
        Assert.Equal(epoch0.Target.bincount(null).data<long>().ToArray(), epoch1.Target.bincount(null).data<long>().ToArray());
        Assert.Equal(epoch0.Input.to_type(ScalarType.Float64).sum().item<double>(), epoch1.Input.to_type(ScalarType.Float64).sum().item<double>(), 1e-6);
    }

    [Fact]
    public void TrainingOrder_IsShuffled()
    {
        var (_, labels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-labels-idx1-ubyte.gz"));
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 8000 });
        using var batch = First(data.Train);

        Assert.NotEqual(labels[..8000].Select(l => (long)l).ToArray(), batch.Target.data<long>().ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-64)]
    public void NonPositiveBatchSize_ThrowsNamingBatchSize(int batchSize)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DigitsDataModule(new DigitsDataOptions { BatchSize = batchSize }));
        Assert.Equal(nameof(DigitsDataOptions.BatchSize), e.ParamName);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void ValidationFractionOutsideZeroToOne_ThrowsNamingTheField(double fraction)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DigitsDataModule(new DigitsDataOptions { ValidationFraction = fraction }));
        Assert.Equal(nameof(DigitsDataOptions.ValidationFraction), e.ParamName);
    }

    [Fact]
    public void ZeroValidationFraction_HasNoValidationSplit()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { ValidationFraction = 0 });

        Assert.Null(data.Validation);
        Assert.Equal(10000, data.Train.SampleCount);
    }

    [Fact]
    public void MissingPath_ThrowsFileNotFoundNamingThePath()
    {
        string path = temp.File("does-not-exist");

        var e = Assert.Throws<FileNotFoundException>(() => new DigitsDataModule(new DigitsDataOptions { Path = path }));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ImagesFileWithoutLabelsFile_ThrowsFileNotFoundNamingTheLabelsFile()
    {
        var (images, labels) = IdxFixture.WritePair(temp.Path, "x", 10);
        File.Delete(labels);

        var e = Assert.Throws<FileNotFoundException>(() => new DigitsDataModule(new DigitsDataOptions { Path = images }));
        Assert.Contains(labels, e.Message);
    }

    [Fact]
    public void LabelCountMismatch_ThrowsInvalidDataNamingBothFiles()
    {
        var (images, labels) = IdxFixture.WritePair(temp.Path, "x", 10, labelCount: 9);

        var e = Assert.Throws<InvalidDataException>(() => new DigitsDataModule(new DigitsDataOptions { Path = images }));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("match", e.Message);
    }

    [Fact]
    public void ExplicitImagesFile_LoadsItWithItsLabels()
    {
        var (images, _) = IdxFixture.WritePair(temp.Path, "x", 10, suffix: ".gz");

        using var data = new DigitsDataModule(new DigitsDataOptions { Path = images, BatchSize = 4, ValidationFraction = 0.2 });

        Assert.Equal(8, data.Train.SampleCount);
        Assert.Equal(2, data.Validation!.SampleCount);
        Assert.Equal(new long[] { 16 }, data.InputShape);
        using var batch = First(data.Validation);
        // Labels are i % 10 in file order, so validation holds samples 8 and 9.
        Assert.Equal(new long[] { 8, 9 }, batch.Target.data<long>().ToArray());
    }

    [Fact]
    public void FolderWithTrainAndTestFiles_PicksTheTrainFiles()
    {
        IdxFixture.WritePair(temp.Path, "t10k", 4);
        IdxFixture.WritePair(temp.Path, "train", 20);

        using var data = new DigitsDataModule(new DigitsDataOptions { Path = temp.Path, BatchSize = 5, ValidationFraction = 0.25 });

        Assert.Equal(15, data.Train.SampleCount);
        Assert.Equal(5, data.Validation!.SampleCount);
    }

    [Fact]
    public void FolderWithoutImagesFile_ThrowsFileNotFoundNamingTheFolder()
    {
        File.WriteAllText(temp.File("readme.txt"), "nothing here");

        var e = Assert.Throws<FileNotFoundException>(() => new DigitsDataModule(new DigitsDataOptions { Path = temp.Path }));
        Assert.Contains(temp.Path, e.Message);
        Assert.Contains("found 0", e.Message);
    }
}
