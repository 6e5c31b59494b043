using Unified.Core.Data;
using Unified.Core.State;

namespace Unified.Lightning;

/// <summary>
/// Lightning's <c>LightningDataModule</c>: the data of a run with its preparation hooks. The trainer calls
/// <see cref="PrepareData"/> (before the module's), <see cref="Setup"/> (before the callbacks' and the module's) and
/// <see cref="Teardown"/> (before theirs) at every entry point, and reads the loaders after <see cref="Setup"/>; its
/// <see cref="StateDict"/> travels in checkpoints.
/// </summary>
/// <example><code>
/// sealed class MyData : LightningDataModule
/// {
///     DigitsDataModule? digits;
///     public override void Setup(TrainerStage stage) => digits ??= new DigitsDataModule(new() { TestFraction = 0.1 });
///     public override IBatchLoader Train => digits!.Train;
///     public override IBatchLoader? Validation => digits!.Validation;
///     public override IBatchLoader? Test => digits!.Test;
/// }
/// </code></example>
public abstract class LightningDataModule : IDataModule, IStateful
{
    /// <summary>The checkpoint part the state is saved under.</summary>
    public const string PartName = "datamodule";

    /// <summary>Downloads or writes what the data needs, once per process, before <see cref="Setup"/>; assigns no state (Lightning's rule).</summary>
    public virtual void PrepareData() { }

    /// <summary>Builds the splits for <paramref name="stage"/>; called at every entry point, before the loaders are read.</summary>
    public virtual void Setup(TrainerStage stage) { }

    /// <summary>Releases what <see cref="Setup"/> built, at the end of <paramref name="stage"/>.</summary>
    public virtual void Teardown(TrainerStage stage) { }

    /// <inheritdoc />
    public abstract IBatchLoader Train { get; }

    /// <inheritdoc />
    public virtual IBatchLoader? Validation => null;

    /// <inheritdoc />
    public virtual IBatchLoader? Test => null;

    /// <inheritdoc />
    public virtual IBatchLoader? Predict => null;

    /// <summary>What the data module saves in a checkpoint (Lightning's <c>state_dict</c>; empty by default).</summary>
    public virtual StateDict StateDict() => new();

    /// <summary>Restores what <see cref="StateDict"/> saved.</summary>
    public virtual void LoadStateDict(StateDict state) { }
}
