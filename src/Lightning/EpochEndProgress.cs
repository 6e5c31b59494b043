using Unified.Core.State;

namespace Unified.Lightning;

/// <summary>
/// Whether a checkpoint was written during an epoch's end hooks before that epoch's schedulers stepped (files from
/// before the schedulers stepped with the epoch's last batch, as Lightning's do): a fit resumed from one steps them
/// first, so that it loses no scheduler step. Checkpoints written now always say false.
/// </summary>
internal sealed class EpochEndProgress : IStateful
{
    public const string PartName = "fit_loop";

    public bool SchedulersPending { get; set; }

    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["schedulers_pending"] = SchedulersPending;
        return state;
    }

    public void LoadStateDict(StateDict state) => SchedulersPending = state.Value<bool>("schedulers_pending");
}
