using Unified.Core.State;

namespace Unified.Lightning;

/// <summary>
/// The checkpoint part that runs <c>OnSaveCheckpoint</c> (callbacks, then the module, after the callbacks' own states,
/// as Lightning) and <c>OnLoadCheckpoint</c> (the module, then the callbacks); what the hooks add is saved here.
/// </summary>
internal sealed class CheckpointHooks(HookRunner hooks, TrainerView view) : IStateful
{
    public const string PartName = "checkpoint_hooks";

    public StateDict StateDict()
    {
        var extra = new StateDict();
        hooks.Run(nameof(Callback.OnSaveCheckpoint), c => c.OnSaveCheckpoint(view, hooks.Module, extra), m => m.OnSaveCheckpoint(extra));
        return extra;
    }

    public void LoadStateDict(StateDict state)
    {
        if (hooks.Lightning is { } module && hooks.Any(nameof(LightningModule.OnLoadCheckpoint))) module.OnLoadCheckpoint(state);
        hooks.Run(nameof(Callback.OnLoadCheckpoint), c => c.OnLoadCheckpoint(view, hooks.Module, state));
    }
}
