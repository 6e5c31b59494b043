using Unified.Core.Distributed;

namespace Unified.Ignite;

/// <summary>Cancellation for engines that run on several ranks.</summary>
public static class DistributedStop
{
    /// <summary>
    /// Makes every rank's <paramref name="engine"/> stop at the same iteration when <paramref name="cancellationToken"/>
    /// is cancelled on any rank (e.g. by SIGTERM), by throwing <see cref="OperationCanceledException"/> there; run the
    /// engine without the token then, so that no rank stops alone and leaves the others waiting in a collective.
    /// Every rank must attach it. Dispose the handle to detach.
    /// </summary>
    /// <example><code>using var stop = trainer.StopTogether(group, token); trainer.Run(data.Train, maxEpochs: 3);</code></example>
    public static RemovableHandle StopTogether(this Engine engine, IProcessGroup group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var agreement = new StopAgreement(group);
        var handles = new[]
        {
            engine.On(Events.IterationStarted, e =>
            {
                // Only where the engine may stop (the supervised trainer: optimiser-step boundaries), the same batches on every rank.
                if ((e.CanInterrupt?.Invoke(e) ?? true) && agreement.Poll(cancellationToken.IsCancellationRequested))
                    throw new OperationCanceledException(cancellationToken);
            }),
            engine.On(Events.EpochCompleted, _ =>
            {
                if (agreement.Complete()) throw new OperationCanceledException(cancellationToken);
            }),
        };
        return new RemovableHandle(() =>
        {
            foreach (var handle in handles) handle.Remove();
            agreement.Dispose();
        });
    }
}
