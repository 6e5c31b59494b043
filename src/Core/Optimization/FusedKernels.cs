using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Unified.Core.Optimization;

/// <summary>
/// PyTorch's <c>fused=True</c> for TorchSharp's <c>optim.Adam</c>, <c>optim.AdamW</c> and <c>optim.SGD</c>: a marked
/// optimiser is stepped by libtorch's own single-pass kernels (<c>torch._fused_adam_</c>, <c>_fused_adamw_</c>,
/// <c>_fused_sgd_</c>) over <see cref="FusedOptimizer"/>'s flat buffers, one native call per parameter group instead
/// of one per operation. The kernels evaluate the same update in another order (fused multiply-adds, a precomputed
/// square root), so the weights differ from the optimiser's own step in the last bits (about 1e-7 relative per step)
/// and are not bitwise those of TorchSharp's step; the state and checkpoints are the same. Unmarked optimisers keep the
/// bitwise flat step. TorchSharp binds no such kernel, so they are reached through a TorchScript function compiled once.
/// </summary>
/// <example><code>public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3).WithFusedKernel());</code></example>
public static class FusedKernels
{
    static readonly ConditionalWeakTable<optim.Optimizer, object> Marked = [];

    // TorchScript's parser needs the source to end with a line break, which a raw string literal drops.
    static readonly Lazy<jit.CompilationUnit> Script = new(() => jit.compile("""
        def adam(p: List[Tensor], g: List[Tensor], m: List[Tensor], v: List[Tensor], step: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float, maximize: bool):
            torch._fused_adam_(p, g, m, v, [], step, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=maximize)

        def adamw(p: List[Tensor], g: List[Tensor], m: List[Tensor], v: List[Tensor], step: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float, maximize: bool):
            torch._fused_adamw_(p, g, m, v, [], step, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=maximize)

        def sgd(p: List[Tensor], g: List[Tensor], buffers: List[Tensor], weight_decay: float, momentum: float, lr: float, dampening: float, nesterov: bool, maximize: bool, first: bool):
            torch._fused_sgd_(p, g, buffers, weight_decay=weight_decay, momentum=momentum, lr=lr, dampening=dampening, nesterov=nesterov, maximize=maximize, is_first_step=first)
        """ + "\n"));

    /// <summary>Marks <paramref name="optimizer"/> to be stepped by libtorch's fused kernel (see the class remarks) and returns it.</summary>
    /// <exception cref="NotSupportedException">The optimiser is not exactly Adam, AdamW or SGD, or uses AMSGrad.</exception>
    public static T WithFusedKernel<T>(this T optimizer) where T : optim.Optimizer
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (FusedOptimizer.Unsupported(optimizer) is { } why)
            throw new NotSupportedException($"{optimizer.GetType().Name} cannot use a fused kernel: {why}.");
        Marked.AddOrUpdate(optimizer, optimizer);
        return optimizer;
    }

    /// <summary>Whether <paramref name="optimizer"/> was marked by <see cref="WithFusedKernel{T}"/>.</summary>
    public static bool IsMarked(optim.Optimizer optimizer) => Marked.TryGetValue(optimizer, out _);

    internal static void Adam(bool decoupled, Tensor p, Tensor g, Tensor m, Tensor v, Tensor step, double lr, double beta1, double beta2, double weightDecay, double eps, bool maximize) =>
        Script.Value.invoke(decoupled ? "adamw" : "adam", new[] { p }, new[] { g }, new[] { m }, new[] { v }, new[] { step }, lr, beta1, beta2, weightDecay, eps, maximize);

    internal static void Sgd(Tensor p, Tensor g, Tensor? buffer, double weightDecay, double momentum, double lr, double dampening, bool nesterov, bool maximize, bool first) =>
        Script.Value.invoke("sgd", new[] { p }, new[] { g }, buffer is null ? Array.Empty<Tensor>() : new[] { buffer }, weightDecay, momentum, lr, dampening, nesterov, maximize, first);
}
