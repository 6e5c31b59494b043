using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Unified.Core.Training;

namespace Unified.Core.Logging;

/// <summary>
/// Spectre.Console bars on a terminal: one for the whole fit (elapsed time and ETA) and one per epoch with the live
/// loss, the last epoch's metrics marked for the progress bar (<c>Log(..., progressBar: true)</c>) and throughput.
/// The loss is read (a device sync) at most 10 times a second.
/// </summary>
public sealed class LiveProgress(IAnsiConsole console, int maxEpochs, int batchesPerEpoch, Func<IReadOnlyCollection<string>>? progressBarNames = null) : IProgressDisplay
{
    readonly Stopwatch clock = new(), sinceRefresh = new();
    readonly ManualResetEventSlim finished = new();
    Thread? renderer;
    ProgressContext? context;
    ProgressTask? fit, epoch;
    long samples;
    string lastMetrics = "";

    /// <summary>A display on the process's console.</summary>
    public LiveProgress(int maxEpochs, int batchesPerEpoch, Func<IReadOnlyCollection<string>>? progressBarNames = null)
        : this(AnsiConsole.Console, maxEpochs, batchesPerEpoch, progressBarNames) { }

    /// <summary>Remove each epoch's bar when the epoch ends (tqdm's <c>leave=False</c>, Ignite's <c>ProgressBar(persist=False)</c>); default false keeps them.</summary>
    public bool HideCompletedEpochs { get; init; }

    /// <summary>Whether the console is an interactive terminal that can show a live bar.</summary>
    public static bool IsSupported => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <inheritdoc />
    /// <remarks>
    /// Spectre.Console renders a progress display inside a callback; it runs on its own thread here, so that a
    /// front-end can start the display in one hook and stop it in another (its tasks are thread-safe).
    /// </remarks>
    public void Start()
    {
        if (renderer is not null) throw new InvalidOperationException("The progress display was already started.");
        var ready = new ManualResetEventSlim();
        renderer = new Thread(() => console.Progress()
            .AutoClear(false)
            .HideCompleted(HideCompletedEpochs)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                context = ctx;
                fit = ctx.AddTask(Description("fit", ""), maxValue: (double)maxEpochs * batchesPerEpoch);
                clock.Start();
                sinceRefresh.Start();
                ready.Set();
                finished.Wait();
                fit.StopTask();
            })) { IsBackground = true, Name = "progress display" };
        renderer.Start();
        ready.Wait();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        finished.Set();
        renderer?.Join();
    }

    /// <inheritdoc />
    public void OnStep(StepReport step)
    {
        epoch ??= context!.AddTask(Description($"epoch {step.Epoch + 1}/{maxEpochs}", lastMetrics), maxValue: batchesPerEpoch);
        samples += step.BatchSize;
        epoch.Increment(1);
        fit?.Increment(1);
        if (sinceRefresh.ElapsedMilliseconds < 100) return;
        sinceRefresh.Restart();
        float loss = step.Loss.item<float>();
        epoch.Description = Description($"epoch {step.Epoch + 1}/{maxEpochs}", string.Create(CultureInfo.InvariantCulture,
            $"loss {loss:F4}  {samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} samples/s"));
    }

    /// <inheritdoc />
    public void OnEpoch(EpochResult result)
    {
        var names = progressBarNames?.Invoke();
        lastMetrics = string.Join("  ", result.Metrics.Where(kv => names is null || names.Contains(kv.Key))
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}")));
        if (epoch is not null)
        {
            epoch.Description = Description($"epoch {result.Epoch + 1}/{maxEpochs}", string.Create(CultureInfo.InvariantCulture,
                $"{lastMetrics}  {samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} samples/s"));
            epoch.StopTask();
        }
        if (fit is not null) fit.Description = Description("fit", lastMetrics);
        epoch = null;
        samples = 0;
        clock.Restart();
    }

    static string Description(string what, string details) => Markup.Escape(details.Length == 0 ? what : $"{what}  {details}");
}
