using Unified.Core.Data;

namespace Unified.Cli.Bench;

/// <summary>A data module with training batches only, so that a timed epoch includes no validation.</summary>
sealed class TrainOnly(IBatchLoader train) : IDataModule
{
    public IBatchLoader Train => train;

    public IBatchLoader? Validation => null;
}
