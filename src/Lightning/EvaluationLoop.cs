using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Runs validation, test or predict batches with Lightning 2.x's hooks (loops/evaluation_loop.py and
/// prediction_loop.py): the network in eval mode, then <c>on_X_start</c>, <c>on_X_epoch_start</c>, per batch
/// <c>on_X_batch_start</c> / step / <c>on_X_batch_end</c>, <c>on_X_epoch_end</c>, the metrics, <c>on_X_end</c>.
/// </summary>
internal sealed class EvaluationLoop(HookRunner hooks, TrainerView view, Device device)
{
    public enum Phase { Validation, Test, Predict }

    /// <summary>
    /// Runs up to <paramref name="limit"/> batches of <paramref name="loader"/>; <paramref name="metrics"/> computes the
    /// logged means after the epoch-end hooks (so that what they log counts) and before the end hooks, which see them.
    /// Predictions (predict only) are returned, detached and owned by the caller. <paramref name="batchLogged"/> runs
    /// after each validation or test batch's end hooks (evaluation_loop.py <c>_evaluation_step</c>: the step's values to
    /// the loggers).
    /// </summary>
    public List<Tensor> Run(Phase phase, IBatchLoader loader, int limit, Func<LoggedValues>? metrics, Action? batchLogged = null)
    {
        var network = hooks.Module.Network;
        var lightning = hooks.Lightning;
        bool wasTraining = network.training;
        network.eval();
        var predictions = new List<Tensor>();
        try
        {
            Hook(phase, "Start");
            Hook(phase, "EpochStart");
            bool batchStart = hooks.Any(Name(phase, "BatchStart")), batchEnd = hooks.Any(Name(phase, "BatchEnd"));
            int index = 0;
            foreach (var raw in loader.Epoch(0))
            {
                using var batch = raw.MoveTo(device);
                if (index >= limit) break;
                int i = index++;
                if (i == 0) InputLayoutCheck.ThrowIfMismatched(network, batch.Input);
                if (lightning is not null) (lightning.InEvaluationBatch, lightning.CurrentBatchSize) = (true, batch.Size);
                if (batchStart) BatchStart(phase, batch, i);
                if (phase == Phase.Validation) EvaluationStep.Run(hooks.Module, batch, i);
                else
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    if (phase == Phase.Test) hooks.Lightning!.TestStep(batch, i);
                    else
                    {
                        var prediction = hooks.Lightning!.PredictStep(batch, i).detach();
                        if (batchEnd) hooks.Run(nameof(Callback.OnPredictBatchEnd), c => c.OnPredictBatchEnd(view, hooks.Module, prediction, batch, i),
                            m => m.OnPredictBatchEnd(prediction, batch, i));
                        predictions.Add(prediction.DetachFromDisposeScope());
                        if (lightning is not null) (lightning.InEvaluationBatch, lightning.CurrentBatchSize) = (false, 1);
                        continue;
                    }
                }
                if (batchEnd) BatchEnd(phase, batch, i);
                if (lightning is not null) (lightning.InEvaluationBatch, lightning.CurrentBatchSize) = (false, 1);
                batchLogged?.Invoke();
            }
            Hook(phase, "EpochEnd");
            if (metrics is not null) view.Update(metrics());
            Hook(phase, "End");
            return predictions;
        }
        catch
        {
            foreach (var p in predictions) p.Dispose();
            throw;
        }
        finally
        {
            if (wasTraining) network.train();
        }
    }

    static string Name(Phase phase, string what) => "On" + (phase == Phase.Validation ? "Validation" : phase.ToString()) + what;

    void Hook(Phase phase, string what)
    {
        var module = hooks.Module;
        switch (phase, what)
        {
            case (Phase.Validation, "Start"): hooks.Run(nameof(Callback.OnValidationStart), c => c.OnValidationStart(view, module), m => m.OnValidationStart()); break;
            case (Phase.Validation, "EpochStart"): hooks.Run(nameof(Callback.OnValidationEpochStart), c => c.OnValidationEpochStart(view, module), m => m.OnValidationEpochStart()); break;
            case (Phase.Validation, "EpochEnd"): hooks.Run(nameof(Callback.OnValidationEpochEnd), c => c.OnValidationEpochEnd(view, module), m => m.OnValidationEpochEnd()); break;
            case (Phase.Validation, "End"): hooks.Run(nameof(Callback.OnValidationEnd), c => c.OnValidationEnd(view, module), m => m.OnValidationEnd()); break;
            case (Phase.Test, "Start"): hooks.Run(nameof(Callback.OnTestStart), c => c.OnTestStart(view, module), m => m.OnTestStart()); break;
            case (Phase.Test, "EpochStart"): hooks.Run(nameof(Callback.OnTestEpochStart), c => c.OnTestEpochStart(view, module), m => m.OnTestEpochStart()); break;
            case (Phase.Test, "EpochEnd"): hooks.Run(nameof(Callback.OnTestEpochEnd), c => c.OnTestEpochEnd(view, module), m => m.OnTestEpochEnd()); break;
            case (Phase.Test, "End"): hooks.Run(nameof(Callback.OnTestEnd), c => c.OnTestEnd(view, module), m => m.OnTestEnd()); break;
            case (Phase.Predict, "Start"): hooks.Run(nameof(Callback.OnPredictStart), c => c.OnPredictStart(view, module), m => m.OnPredictStart()); break;
            case (Phase.Predict, "EpochStart"): hooks.Run(nameof(Callback.OnPredictEpochStart), c => c.OnPredictEpochStart(view, module), m => m.OnPredictEpochStart()); break;
            case (Phase.Predict, "EpochEnd"): hooks.Run(nameof(Callback.OnPredictEpochEnd), c => c.OnPredictEpochEnd(view, module), m => m.OnPredictEpochEnd()); break;
            case (Phase.Predict, "End"): hooks.Run(nameof(Callback.OnPredictEnd), c => c.OnPredictEnd(view, module), m => m.OnPredictEnd()); break;
        }
    }

    void BatchStart(Phase phase, Batch batch, int i)
    {
        var module = hooks.Module;
        switch (phase)
        {
            case Phase.Validation: hooks.Run(nameof(Callback.OnValidationBatchStart), c => c.OnValidationBatchStart(view, module, batch, i), m => m.OnValidationBatchStart(batch, i)); break;
            case Phase.Test: hooks.Run(nameof(Callback.OnTestBatchStart), c => c.OnTestBatchStart(view, module, batch, i), m => m.OnTestBatchStart(batch, i)); break;
            default: hooks.Run(nameof(Callback.OnPredictBatchStart), c => c.OnPredictBatchStart(view, module, batch, i), m => m.OnPredictBatchStart(batch, i)); break;
        }
    }

    void BatchEnd(Phase phase, Batch batch, int i)
    {
        var module = hooks.Module;
        if (phase == Phase.Validation) hooks.Run(nameof(Callback.OnValidationBatchEnd), c => c.OnValidationBatchEnd(view, module, batch, i), m => m.OnValidationBatchEnd(batch, i));
        else hooks.Run(nameof(Callback.OnTestBatchEnd), c => c.OnTestBatchEnd(view, module, batch, i), m => m.OnTestBatchEnd(batch, i));
    }
}
