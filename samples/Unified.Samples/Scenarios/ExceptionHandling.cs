using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>
/// A failure inside training: Ignite fires EXCEPTION_RAISED to its handlers (with a handler, the engine does not rethrow,
/// as Ignite's _handle_exception); Lightning calls OnException on its callbacks (not OnFitEnd), then rethrows.
/// </summary>
public static class ExceptionHandling
{
    sealed class Faulty(nn.Module<Tensor, Tensor> network, int failAt) : LightningModule(network)
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) =>
            batchIndex == failAt ? throw new InvalidDataException($"bad batch {batchIndex}") : nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    sealed class Report : Callback
    {
        public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception) =>
            Console.WriteLine($"lightning callback OnException at step {trainer.GlobalStep}: {exception.Message}");
    }

    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var model = new DigitsMlp();
        var trainer = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3),
            (logits, y) => nn.functional.cross_entropy(logits, y), new SupervisedTrainerOptions { Accelerator = "cpu" });
        trainer.On(Events.IterationStarted, e => { if (e.State.Iteration == 5) throw new InvalidDataException("bad batch at iteration 5"); });
        Exception? caught = null;
        trainer.On(Events.ExceptionRaised, (Engine e, Exception error) =>
        {
            caught = error;
            Console.WriteLine($"ignite EXCEPTION_RAISED at iteration {e.State.Iteration}: {error.Message}; the run ends without rethrowing");
        });
        trainer.Run(data.Train, maxEpochs: 1);

        Seed.Everything(42);
        using var module = new Faulty(new DigitsMlp(), failAt: 3);
        var lightningOptions = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", NumSanityValSteps = 0 };
        lightningOptions.Callbacks.Add(new Report());
        try
        {
            new Trainer(lightningOptions).Fit(module, data);
        }
        catch (InvalidDataException e)
        {
            Console.WriteLine($"lightning rethrew: {e.Message}");
            return caught is null ? 1 : 0;
        }
        return 1;
    }
}
