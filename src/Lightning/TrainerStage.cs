namespace Unified.Lightning;

/// <summary>What a trainer entry point runs (Lightning's <c>stage</c> strings <c>fit</c>, <c>validate</c>, <c>test</c>, <c>predict</c>).</summary>
public enum TrainerStage
{
    /// <summary><see cref="Trainer.Fit(Core.Training.ITrainingModule, Core.Data.IDataModule, string?, System.Threading.CancellationToken)"/>.</summary>
    Fit,

    /// <summary><see cref="Trainer.Validate"/>.</summary>
    Validate,

    /// <summary><see cref="Trainer.Test"/>.</summary>
    Test,

    /// <summary><see cref="Trainer.Predict"/>.</summary>
    Predict,
}
