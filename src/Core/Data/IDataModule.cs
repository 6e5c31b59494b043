namespace Unified.Core.Data;

/// <summary>The data of a run, as Lightning's <c>LightningDataModule</c>: a training split and an optional validation split.</summary>
public interface IDataModule
{
    /// <summary>Training batches (shuffled).</summary>
    IBatchLoader Train { get; }

    /// <summary>Validation batches (fixed order), or null when there is no validation split.</summary>
    IBatchLoader? Validation { get; }
}
