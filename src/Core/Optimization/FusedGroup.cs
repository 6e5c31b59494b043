using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchOptimizerState = TorchSharp.Modules.OptimizerState;

namespace Unified.Core.Optimization;

/// <summary>One parameter group of a <see cref="FusedOptimizer"/>: flat parameters, gradients and state, and the update over them.</summary>
internal sealed class FusedGroup : IDisposable
{
    /// <summary>The optimisers that can be fused.</summary>
    internal enum Kind { Adam, AdamW, Sgd }

    readonly ParamGroup group;
    readonly Parameter[] parameters;
    readonly TorchOptimizerState[] states;
    readonly Kind kind;
    readonly FlatBuffer weights, grads, first;
    readonly FlatBuffer? second;
    readonly bool kernel;
    readonly Tensor? stepCount;
    bool momentumStarted;

    /// <param name="group">The optimiser's group.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="states">Their state, in the same order.</param>
    /// <param name="kernel">Step with libtorch's fused kernel (<see cref="FusedKernels"/>) instead of TorchSharp's sequence of operations.</param>
    public FusedGroup(ParamGroup group, IReadOnlyList<Parameter> parameters, IReadOnlyList<TorchOptimizerState> states, bool kernel)
    {
        (this.group, this.parameters, this.states, this.kernel) = (group, [.. parameters], [.. states], kernel);
        kind = KindOf(group.Options) ?? throw new NotSupportedException($"{group.Options.GetType().FullName} cannot be fused.");
        var shapes = parameters.Select(p => p.shape).ToList();
        var (dtype, device) = (parameters[0].dtype, parameters[0].device);
        (weights, grads, first) = (new FlatBuffer(shapes, dtype, device), new FlatBuffer(shapes, dtype, device), new FlatBuffer(shapes, dtype, device));
        if (kind != Kind.Sgd) second = new FlatBuffer(shapes, dtype, device);
        // The fused Adam kernels read the step count from a float32 tensor, as PyTorch keeps it.
        if (kernel && kind != Kind.Sgd) stepCount = zeros(1, float32, device).DetachFromDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < this.parameters.Length; i++)
        {
            // The parameter's storage becomes its slice of the flat buffer; the module keeps the same Parameter object.
            weights.View(i).copy_(this.parameters[i]);
            this.parameters[i].set_(weights.View(i));
        }
        Adopt();
    }

    /// <summary>The kind of <paramref name="options"/> (or of the optimiser), or null when it cannot be fused.</summary>
    public static Kind? KindOf(object options)
    {
        // Exact types only: a subclass is not assumed to step the same way.
        var type = options.GetType();
        if (type == typeof(Adam) || type == typeof(Adam.Options)) return Kind.Adam;
        if (type == typeof(AdamW) || type == typeof(AdamW.Options)) return Kind.AdamW;
        if (type == typeof(SGD) || type == typeof(SGD.Options)) return Kind.Sgd;
        return null;
    }

    /// <summary>
    /// Re-points whatever is not in the flat buffers (a parameter, gradient or state tensor that someone replaced, e.g. a
    /// checkpoint load or the optimiser's own step creating a momentum buffer) at them, copying its values in; returns
    /// false when this step cannot be fused (a parameter without a gradient, state of unequal step counts or half-made).
    /// </summary>
    public bool Prepare()
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (Distributed.TensorMemory.DataPointer(p) != weights.Address(i))
            {
                weights.View(i).copy_(p);
                p.set_(weights.View(i));
            }
            using var grad = p.grad;
            if (grad is null) return false;
            if (Distributed.TensorMemory.DataPointer(grad) != grads.Address(i))
            {
                grads.View(i).copy_(grad);
                p.grad = grads.View(i);
            }
        }
        return AdoptState();
    }

    /// <summary>Re-points the state tensors (after the optimiser's own step) at the flat buffers.</summary>
    public void Adopt() => AdoptState();

    bool AdoptState()
    {
        switch (kind)
        {
            case Kind.Adam:
            case Kind.AdamW:
                long step = StepOf(states[0]);
                bool equalSteps = true;
                for (int i = 0; i < states.Length; i++)
                {
                    var (m, v) = kind == Kind.Adam ? AdamTensors((Adam.State)states[i]) : AdamWTensors((AdamW.State)states[i]);
                    SetState(i, first.View(i), m, true);
                    SetState(i, second!.View(i), v, false);
                    equalSteps &= StepOf(states[i]) == step;
                }
                return equalSteps;
            default:
                int started = 0;
                for (int i = 0; i < states.Length; i++)
                {
                    var state = (SGD.State)states[i];
                    if (state.momentum_buffer is null) continue;
                    started++;
                    if (!ReferenceEquals(state.momentum_buffer, first.Views[i]) || state.momentum_buffer.IsInvalid)
                        state.momentum_buffer = Adopted(state.momentum_buffer, first.View(i));
                }
                momentumStarted = started == states.Length;
                return started == 0 || momentumStarted;
        }
    }

    static (Tensor, Tensor) AdamTensors(Adam.State s) => (s.exp_avg, s.exp_avg_sq);

    static (Tensor, Tensor) AdamWTensors(AdamW.State s) => (s.exp_avg, s.exp_avg_sq);

    static long StepOf(TorchOptimizerState state) => state switch { Adam.State a => a.step, AdamW.State w => w.step, _ => 0 };

    void SetState(int i, Tensor view, Tensor live, bool isFirst)
    {
        if (ReferenceEquals(live, view) && !live.IsInvalid) return;
        var adopted = Adopted(live, view);
        switch (states[i])
        {
            case Adam.State a when isFirst: a.exp_avg = adopted; break;
            case Adam.State a: a.exp_avg_sq = adopted; break;
            case AdamW.State w when isFirst: w.exp_avg = adopted; break;
            case AdamW.State w: w.exp_avg_sq = adopted; break;
        }
    }

    // Copies a state tensor the optimiser made into its view and disposes it (the optimiser then owns the view).
    static Tensor Adopted(Tensor? live, Tensor view)
    {
        if (live is not null && !live.IsInvalid)
        {
            view.copy_(live);
            live.Dispose();
        }
        return view;
    }

    /// <summary>The update, with TorchSharp's operations in TorchSharp's order, once over the flat buffers.</summary>
    public void Step()
    {
        double lr = group.Options.LearningRate!.Value;
        var (p, g) = (weights.Flat, grads.Flat);
        if (kind == Kind.Sgd)
        {
            var o = (SGD.Options)group.Options;
            double momentum = o.momentum!.Value, dampening = o.dampening!.Value, decay = o.weight_decay!.Value;
            var grad = decay != 0 ? g.add(p, alpha: decay) : g;
            if (kernel)
            {
                FusedKernels.Sgd(p, g, momentum != 0 ? first.Flat : null, decay, momentum, lr, dampening, o.nesterov!.Value, o.maximize!.Value, !momentumStarted);
                if (momentum != 0 && !momentumStarted) StartMomentum();
                return;
            }
            if (momentum != 0)
            {
                var buffer = first.Flat;
                if (!momentumStarted)
                {
                    buffer.copy_(grad);
                    StartMomentum();
                }
                else buffer.mul_(momentum).add_(grad, alpha: 1 - dampening);
                grad = o.nesterov!.Value ? grad.add(buffer, alpha: momentum) : buffer;
            }
            p.add_(grad, alpha: o.maximize!.Value ? lr : -lr);
            return;
        }

        double beta1, beta2, eps, weightDecay;
        bool maximize;
        if (group.Options is AdamW.Options w) (beta1, beta2, eps, weightDecay, maximize) = (w.beta1!.Value, w.beta2!.Value, w.eps!.Value, w.weight_decay!.Value, w.maximize!.Value);
        else
        {
            var a = (Adam.Options)group.Options;
            (beta1, beta2, eps, weightDecay, maximize) = (a.beta1!.Value, a.beta2!.Value, a.eps!.Value, a.weight_decay!.Value, a.maximize!.Value);
        }
        long step = StepOf(states[0]) + 1;
        foreach (var state in states)
        {
            if (state is Adam.State a) a.step = step;
            else ((AdamW.State)state).step = step;
        }
        if (kernel)
        {
            stepCount!.fill_(step);
            FusedKernels.Adam(kind == Kind.AdamW, p, g, first.Flat, second!.Flat, stepCount, lr, beta1, beta2, weightDecay, eps, maximize);
            return;
        }
        double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
        var gradient = maximize ? g.neg() : g;
        if (kind == Kind.AdamW) p.mul_(1 - lr * weightDecay);
        else if (weightDecay != 0) gradient = gradient.add(p, alpha: weightDecay);
        first.Flat.mul_(beta1).add_(gradient, alpha: 1 - beta1);
        second!.Flat.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
        var denominator = (second.Flat.sqrt() / Math.Sqrt(correction2)).add_(eps);
        p.addcdiv_(first.Flat, denominator, value: -(lr / correction1));
    }

    void StartMomentum()
    {
        for (int i = 0; i < states.Length; i++) ((SGD.State)states[i]).momentum_buffer = first.View(i);
        momentumStarted = true;
    }

    public void Dispose()
    {
        stepCount?.Dispose();
        // The parameters and gradients hold their own references to the storage; the state views belong to the optimiser now.
        weights.Dispose();
        grads.Dispose();
        // SGD views whose momentum never started (momentum 0, or no step yet) belong to no one but this buffer.
        if (kind == Kind.Sgd)
            for (int i = 0; i < states.Length; i++)
                if (!ReferenceEquals(((SGD.State)states[i]).momentum_buffer, first.Views[i])) first.Views[i].Dispose();
        first.Flat.Dispose();
        second?.Flat.Dispose();
    }
}
