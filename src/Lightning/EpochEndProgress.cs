using Unified.Core.State;

namespace Unified.Lightning;

/// <summary>
/// Whether a checkpoint was written during an epoch's end hooks, before that epoch's schedulers stepped (Lightning
/// steps them after <c>on_train_epoch_end</c>, where ModelCheckpoint saves): a resumed fit steps them first, so that
/// resuming from such a checkpoint loses no scheduler step (Lightning's own resume skips it).
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
