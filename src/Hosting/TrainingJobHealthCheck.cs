using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Unified.Hosting;

/// <summary>Reports the hosted training job: unhealthy once it failed, healthy otherwise, with its progress as data.</summary>
internal sealed class TrainingJobHealthCheck(ITrainingJobStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["epoch"] = status.Epoch,
            ["batches"] = status.Batches,
        };
        if (status.Checkpoint is { } checkpoint) data["checkpoint"] = checkpoint;
        return Task.FromResult(status.State == TrainingJobState.Failed
            ? HealthCheckResult.Unhealthy($"Training failed: {status.Error?.Message}", status.Error, data)
            : HealthCheckResult.Healthy($"Training is {status.State.ToString().ToLowerInvariant()}.", data));
    }
}
