using Unified.Core.Data;
using Unified.Testing;

namespace Unified.Hosting.Tests.Scanned;

/// <summary>The first 640 bundled digits to train and the next 128 to validate, batches of 32: a fit of seconds.</summary>
public sealed class SmallDigits : IDataModule, IDisposable
{
    readonly SliceDataModule slice = new(trainCount: 640, validationCount: 128, batchSize: 32);

    /// <inheritdoc />
    public IBatchLoader Train => slice.Train;

    /// <inheritdoc />
    public IBatchLoader? Validation => slice.Validation;

    /// <inheritdoc />
    public void Dispose() => slice.Dispose();
}
