using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>Runs one validation batch the same way for both front-ends: its own dispose scope and no gradients.</summary>
public static class EvaluationStep
{
    /// <summary>Calls <see cref="ITrainingModule.ValidationStep"/> under no-grad; the network should already be in eval mode.</summary>
    public static void Run(ITrainingModule module, Batch batch, int batchIndex)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        module.ValidationStep(batch, batchIndex);
    }
}
