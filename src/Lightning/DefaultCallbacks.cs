namespace Unified.Lightning;

/// <summary>
/// The callbacks a <see cref="Trainer"/> adds unless the user gave one of the type (Lightning's
/// <c>_CallbackConnector._configure_progress_bar</c> and <c>_configure_model_summary_callback</c>).
/// </summary>
internal static class DefaultCallbacks
{
    public static IEnumerable<Callback> For(TrainerOptions options, IReadOnlyList<Callback> given)
    {
        if (options.EnableModelSummary && !given.OfType<ModelSummary>().Any()) yield return new ModelSummary(logger: null, output: options.ProgressOutput);
        if (options.EnableProgressBar && !given.OfType<ProgressBar>().Any()) yield return new ProgressBar(options.ProgressOutput);
    }
}
