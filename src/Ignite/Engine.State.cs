using Unified.Core.State;

namespace Unified.Ignite;

public partial class Engine
{
    /// <summary>
    /// The run's progress, as Ignite's <c>engine.state_dict()</c>: <c>iteration</c>, <c>epoch_length</c>,
    /// <c>max_epochs</c> or <c>max_iters</c>, plus what an exact resume needs and Ignite leaves out: <c>epochs_completed</c>
    /// (epochs whose <c>EpochCompleted</c> fired), <c>epoch_iteration</c> (iterations done in an epoch still open) and the
    /// data position <c>data_pass</c>, <c>data_offset</c>, and <c>seed</c> when <see cref="State.Seed"/> is set.
    /// </summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["iteration"] = State.Iteration;
        state.Values["epoch_length"] = State.EpochLength;
        if (State.MaxIters is long iters) state.Values["max_iters"] = iters;
        else state.Values["max_epochs"] = State.MaxEpochs;
        state.Values["epochs_completed"] = epochOpen ? State.Epoch - 1 : State.Epoch;
        state.Values["epoch_iteration"] = epochOpen ? State.EpochIteration : 0;
        var (pass, offset) = cursor is not null ? (cursor.Pass, cursor.Offset) : position ?? (0, 0);
        (state.Values["data_pass"], state.Values["data_offset"]) = (pass, offset);
        if (State.Seed is long seed) state.Values["seed"] = seed;
        return state;
    }

    /// <summary>
    /// Loads progress saved by <see cref="StateDict"/> (or Ignite's keys alone: the epoch and the position in it are
    /// derived from <c>iteration</c> then); the next run continues from it, inside the saved epoch if it was open.
    /// </summary>
    /// <exception cref="InvalidDataException">The counters contradict each other.</exception>
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long iteration = state.Value<long>("iteration");
        int length = state.Value<int>("epoch_length");
        if (iteration < 0 || length < 1) throw new InvalidDataException($"Engine state (iteration {iteration}, epoch length {length}) is invalid: iteration must be >= 0 and the epoch length positive.");
        int completed = state.Values.ContainsKey("epochs_completed") ? state.Value<int>("epochs_completed") : (int)(iteration / length);
        long inEpoch = state.Values.ContainsKey("epoch_iteration") ? state.Value<int>("epoch_iteration") : iteration - (long)completed * length;
        if (completed < 0 || inEpoch < 0 || inEpoch > length || inEpoch > iteration)
            throw new InvalidDataException($"Engine state (iteration {iteration}, {completed} epochs completed, {inEpoch} iterations into the next, of {length} per epoch) is inconsistent.");
        (State.Iteration, State.EpochLength, State.EpochIteration) = (iteration, length, (int)inEpoch);
        (State.Epoch, epochOpen) = inEpoch > 0 ? (completed + 1, true) : (completed, false);
        bool byIters = state.Values.ContainsKey("max_iters");
        State.MaxIters = byIters ? state.Value<long>("max_iters") : null;
        State.MaxEpochs = byIters ? null : state.Value<int>("max_epochs");
        position = state.Values.ContainsKey("data_pass") ? (state.Value<int>("data_pass"), state.Value<int>("data_offset")) : null;
        State.Seed = state.Values.ContainsKey("seed") ? state.Value<long>("seed") : State.Seed;
        phase = Phase.Start;
    }

    /// <summary>Forgets every run: the state of an engine that never ran (what a fresh engine's state dict would restore, had it one).</summary>
    internal void ResetState()
    {
        (State.Iteration, State.Epoch, State.EpochIteration, State.EpochLength, State.MaxEpochs, State.MaxIters) = (0, 0, 0, null, null, null);
        (epochOpen, position, phase) = (false, null, Phase.Start);
        State.Metrics.Clear();
    }
}
