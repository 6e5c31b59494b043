using TorchSharp;
using Unified.Core.Data;

namespace Unified.Ignite;

/// <summary>
/// An engine whose random stream is a function of (seed, iteration), as Ignite's <c>DeterministicEngine</c>
/// (ignite/engine/deterministic.py): libtorch's generator is reseeded before every iteration's process function, so
/// dropout and any other random op of iteration <c>i</c> are the same in an uninterrupted run and in one resumed from a
/// checkpoint saved anywhere (mid-epoch included) with no generator state saved. The data position is part of every
/// engine's state already. Ignite reseeds per epoch and saves the generator's state; reseeding per iteration needs
/// no saved generator. The seed is drawn from libtorch's generator at the first <c>Started</c> (as Ignite's
/// <c>_init_run</c>, so <c>Seed.Everything</c> fixes it) unless <see cref="State.Seed"/> is set, and it is saved in
/// <see cref="Engine.StateDict"/>.
/// </summary>
/// <example><code>
/// var trainer = new DeterministicEngine((e, batch) =&gt; Step(batch));
/// trainer.Run(data, maxEpochs: 3);   // the same weights when resumed from any checkpoint of it
/// </code></example>
public sealed class DeterministicEngine : Engine
{
    /// <summary>Creates the engine around <paramref name="process"/>(engine, batch) → output.</summary>
    public DeterministicEngine(Func<Engine, Batch, object?> process) : base(Reseeding(process)) =>
        On(Events.Started, e => e.State.Seed ??= DrawSeed());

    static long DrawSeed()
    {
        using var drawn = torch.randint(0, 1_000_000_000, new long[] { 1 }, dtype: torch.int64);
        return drawn.item<long>();
    }

    static Func<Engine, Batch, object?> Reseeding(Func<Engine, Batch, object?> process)
    {
        ArgumentNullException.ThrowIfNull(process);
        return (engine, batch) =>
        {
            ReseedFor(engine.State);
            return process(engine, batch);
        };
    }

    // ignite/engine/deterministic.py _setup_seed: manual_seed(seed + counter); a mixed stream per iteration instead.
    static void ReseedFor(State state)
    {
        long seed = Core.Runtime.Seed.Derive(state.Seed ?? 0, state.Iteration);
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }
}
