using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Training;

namespace Unified.Hosting;

/// <summary>
/// Trains <typeparamref name="TModule"/> on <typeparamref name="TData"/> while the host runs; the host's stop cancels
/// the fit at a step boundary, where the checkpoint callbacks or handlers save <c>last.ckpt</c>, and the next start
/// resumes from it (<c>ResumeFrom</c>, if set, is where a job without a <c>last.ckpt</c> starts).
/// </summary>
internal sealed class TrainingJob<TModule, TData>(IServiceScopeFactory scopes, IUnifiedTrainerFactory factory, IOptions<UnifiedTrainingOptions> options,
    TrainingJobStatus status, TrainingJobMetrics metrics, ILogger<TrainingJob<TModule, TData>> logger) : BackgroundService
    where TModule : class, ITrainingModule where TData : class, IDataModule
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Trainer.CheckpointDir is null)
            throw new InvalidOperationException($"The training job needs {UnifiedTrainingOptions.SectionName}:Trainer:CheckpointDir, so that a stopped job leaves a checkpoint to resume from; set it.");
        _ = metrics.Meter;
        return base.StartAsync(cancellationToken);
    }

    // TorchSharp's dispose scopes are per thread: the whole fit runs on one dedicated thread, off the host's.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Train(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Train(CancellationToken stoppingToken)
    {
        using var registration = stoppingToken.Register(status.Stopping);
        string last = Path.Combine(options.Value.Trainer.CheckpointDir!, "last.ckpt");
        // This job's own last.ckpt is newer than any configured starting point: a restarted job continues its own run.
        string? resume = File.Exists(last) ? last : options.Value.Trainer.ResumeFrom;
        try
        {
            using var scope = scopes.CreateScope();
            var module = scope.ServiceProvider.GetRequiredService<TModule>();
            var data = scope.ServiceProvider.GetRequiredService<TData>();
            var trainer = factory.Create(configure: o =>
            {
                o.ResumeFrom = resume;
                o.OnStep += status.Step;
                o.OnEpoch += status.EpochCompleted;
            });
            status.Started(trainer.Framework, resume);
            TrainingJobLog.Starting(logger, typeof(TModule).Name, trainer.Framework, resume ?? "(none)");
            var result = trainer.Fit(module, data, stoppingToken);
            string sha = WeightsHash.Sha256(module.Network);
            status.End(TrainingJobState.Completed, File.Exists(last) ? last : null, sha);
            TrainingJobLog.Completed(logger, result.Steps, sha);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            status.End(TrainingJobState.Cancelled, File.Exists(last) ? last : null);
            TrainingJobLog.Cancelled(logger, last);
        }
        catch (Exception e)
        {
            status.End(TrainingJobState.Failed, File.Exists(last) ? last : null, error: e);
            TrainingJobLog.Failed(logger, e);
            throw;
        }
    }
}
