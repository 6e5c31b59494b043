using Unified.Core.Data;

namespace Unified.Cli.Evaluate;

/// <summary>A data module whose predict split is one split of another (Lightning's predict reads <c>Predict</c>).</summary>
/// <param name="data">The data module.</param>
/// <param name="split">The split to predict.</param>
public sealed class SplitAsPredict(IDataModule data, IBatchLoader split) : IDataModule
{
    /// <inheritdoc />
    public IBatchLoader Train => data.Train;

    /// <inheritdoc />
    public IBatchLoader? Validation => data.Validation;

    /// <inheritdoc />
    public IBatchLoader? Test => data.Test;

    /// <inheritdoc />
    public IBatchLoader? Predict => split;
}
