using Unified.Core.Data;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>The bundled digits as a data module the container builds (found by scanning).</summary>
public sealed class HostDigits : IDataModule, IDisposable
{
    readonly DigitsDataModule digits = Digits.Load();

    public IBatchLoader Train => digits.Train;

    public IBatchLoader? Validation => digits.Validation;

    public void Dispose() => digits.Dispose();
}
