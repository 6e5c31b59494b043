using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Testing;

/// <summary>A small data module over the first samples of the bundled digits (file order, flat layout), for fast loops.</summary>
public sealed class SliceDataModule : IDataModule, IDisposable
{
    readonly TensorDataLoader train;
    readonly TensorDataLoader? validation;

    /// <summary>
    /// Samples 0..<paramref name="trainCount"/> train (shuffled per epoch with <paramref name="seed"/>); the next
    /// <paramref name="validationCount"/> validate (fixed order).
    /// </summary>
    public SliceDataModule(int trainCount, int validationCount, int batchSize, long seed = 42)
    {
        var (imageShape, pixels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-images-idx3-ubyte.gz"));
        var (_, labels) = IdxFile.Read(Path.Combine(DigitsDataModule.BundledDirectory, "digits10k-labels-idx1-ubyte.gz"));
        using var bytes = tensor(pixels, ScalarType.Byte).reshape(imageShape[0], imageShape[1] * imageShape[2]);
        using var images = bytes.to_type(ScalarType.Float32).div_(255f);
        using var targets = tensor(labels, ScalarType.Byte).to_type(ScalarType.Int64);
        train = new TensorDataLoader(images.narrow(0, 0, trainCount).clone(), targets.narrow(0, 0, trainCount).clone(),
            batchSize, shuffle: true, seed);
        if (validationCount > 0)
            validation = new TensorDataLoader(images.narrow(0, trainCount, validationCount).clone(),
                targets.narrow(0, trainCount, validationCount).clone(), batchSize, shuffle: false, seed);
    }

    /// <inheritdoc />
    public IBatchLoader Train => train;

    /// <inheritdoc />
    public IBatchLoader? Validation => validation;

    /// <inheritdoc />
    public void Dispose()
    {
        train.Dispose();
        validation?.Dispose();
    }
}
