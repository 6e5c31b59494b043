using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>A module that records whether autograd was on during its validation step.</summary>
internal sealed class GradientProbe() : TrainingModule(new DigitsMlp())
{
    public bool? GradEnabledDuringValidation { get; private set; }

    public override Tensor TrainingStep(Batch batch, int batchIndex) => throw new NotSupportedException();

    public override void ValidationStep(Batch batch, int batchIndex) => GradEnabledDuringValidation = is_grad_enabled();

    public override OptimizerConfig ConfigureOptimizers() => throw new NotSupportedException();
}
