using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Unified.Adapters;
using Unified.Core.Training;

namespace Unified.Cli.Fit;

/// <summary>A Spectre.Console bar per epoch with loss and throughput; the loss is read (a device sync) at most 10 times a second.</summary>
public sealed class LiveProgress(int maxEpochs, int batchesPerEpoch) : IFitProgress
{
    readonly Stopwatch clock = new(), sinceRefresh = new();
    ProgressContext? context;
    ProgressTask? task;
    long samples;

    /// <summary>Whether the console is an interactive terminal that can show a live bar.</summary>
    public static bool IsSupported => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <inheritdoc />
    public T Run<T>(Func<T> fit)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                context = ctx;
                clock.Start();
                sinceRefresh.Start();
                result = fit();
            });
        return result;
    }

    /// <inheritdoc />
    public void OnStep(StepReport step)
    {
        task ??= context!.AddTask($"epoch {step.Epoch + 1}/{maxEpochs}", maxValue: batchesPerEpoch);
        samples += step.BatchSize;
        task.Increment(1);
        if (sinceRefresh.ElapsedMilliseconds < 100) return;
        sinceRefresh.Restart();
        float loss = step.Loss.item<float>();
        task.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {step.Epoch + 1}/{maxEpochs}  loss {loss:F4}  {samples / clock.Elapsed.TotalSeconds:F0} samples/s");
    }

    /// <inheritdoc />
    public void OnEpoch(EpochResult epoch)
    {
        if (task is not null)
        {
            task.Description = Markup.Escape(EpochLine.Format(epoch, maxEpochs, samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
            task.StopTask();
        }
        task = null;
        samples = 0;
        clock.Restart();
    }
}
