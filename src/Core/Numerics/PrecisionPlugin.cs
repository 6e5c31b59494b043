using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Numerics;

/// <summary>
/// How the step kernel runs a step's numerics (Lightning's precision plugin): the dtype of the forward pass, how the
/// loss is scaled, how gradients reach the parameters the optimiser updates, and whether a step is skipped.
/// The kernel calls, in order: <see cref="ConnectModule"/> (before the optimiser exists), <see cref="Activate"/>,
/// then per micro-batch <see cref="ScaleLoss"/> and <see cref="AfterBackward"/>, and per optimiser step
/// <see cref="PrepareStep"/> and <see cref="AfterStep"/>; <see cref="Deactivate"/> gives the module its trained
/// weights back.
/// </summary>
public abstract class PrecisionPlugin : IStateful, IDisposable
{
    /// <summary>Creates the plugin <paramref name="name"/> whose forward runs in <paramref name="computeType"/>.</summary>
    protected PrecisionPlugin(string name, ScalarType computeType) => (Name, ComputeType) = (name, computeType);

    /// <summary>The precision name, e.g. <c>bf16-mixed</c>.</summary>
    public string Name { get; }

    /// <summary>The dtype matrix multiplications and convolutions run in.</summary>
    public ScalarType ComputeType { get; }

    /// <summary>Whether the loss must be finite for a step to count (16-mixed skips overflowing steps instead).</summary>
    public virtual bool ChecksLossFiniteness => true;

    /// <summary>Prepares <paramref name="network"/> before the optimiser is created (true precisions convert it).</summary>
    public virtual void ConnectModule(nn.Module network) { }

    /// <summary>Checks that <paramref name="parameters"/> (the optimiser's) have the dtype this precision updates.</summary>
    /// <exception cref="InvalidOperationException">They do not: the optimiser was created before <see cref="ConnectModule"/>.</exception>
    public virtual void CheckParameters(IReadOnlyList<Parameter> parameters) { }

    /// <summary>The low-precision copy the network computes with in place of <paramref name="parameter"/> (mixed precisions, once active), or null.</summary>
    public virtual Parameter? ComputeCopy(Parameter parameter) => null;

    /// <summary>Switches the connected network to its compute form for training; idempotent.</summary>
    public virtual void Activate() { }

    /// <summary>Gives the connected network back the parameters the optimiser updates; idempotent.</summary>
    public virtual void Deactivate() { }

    /// <summary>The tensor to call <c>backward()</c> on.</summary>
    public virtual Tensor ScaleLoss(Tensor loss) => loss;

    /// <summary>
    /// Runs after every backward pass (mixed precisions move gradients to the fp32 master weights here);
    /// <paramref name="gradientsZeroed"/>: the optimiser's gradients were zeroed and no backward has added to them
    /// since, so they may be overwritten instead of added to.
    /// </summary>
    public virtual void AfterBackward(bool gradientsZeroed) { }

    /// <summary>Unscales the gradients of <paramref name="parameters"/>; false means skip this optimiser step.</summary>
    public virtual bool PrepareStep(IReadOnlyList<Parameter> parameters) => true;

    /// <summary>Runs after an optimiser step was taken (<paramref name="stepped"/>) or skipped.</summary>
    public virtual void AfterStep(bool stepped) { }

    /// <inheritdoc />
    public virtual StateDict StateDict() => new();

    /// <inheritdoc />
    public virtual void LoadStateDict(StateDict state) { }

    /// <summary>Gives the network its trained parameters back and frees the plugin's tensors.</summary>
    public void Dispose()
    {
        Deactivate();
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees tensors the plugin owns.</summary>
    protected virtual void Release() { }
}
