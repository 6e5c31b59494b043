namespace Unified.Core.Data;

/// <summary>
/// The data of a run, as Lightning's <c>LightningDataModule</c>: a training split and optional validation, test and
/// predict splits.
/// </summary>
public interface IDataModule
{
    /// <summary>Training batches (shuffled).</summary>
    IBatchLoader Train { get; }

    /// <summary>Validation batches (fixed order), or null when there is no validation split.</summary>
    IBatchLoader? Validation { get; }

    /// <summary>Test batches (fixed order), or null when there is no test split (the default).</summary>
    IBatchLoader? Test => null;

    /// <summary>Batches to predict on (fixed order), or null when there are none (the default).</summary>
    IBatchLoader? Predict => null;
}
