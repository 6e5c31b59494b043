using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>A generator (noise → a 784-pixel digit) and a discriminator (784 pixels → a real/fake logit), trained together.</summary>
public sealed class GanNetworks : nn.Module<Tensor, Tensor>
{
    /// <summary>The length of the generator's noise vector.</summary>
    public const int NoiseSize = 16;

    /// <summary>Noise → digit pixels in [0, 1].</summary>
    public readonly nn.Module<Tensor, Tensor> Generator;

    /// <summary>Digit pixels → the logit of "real".</summary>
    public readonly nn.Module<Tensor, Tensor> Discriminator;

    /// <summary>Creates both networks with libtorch's default initialisation (seed first).</summary>
    public GanNetworks() : base(nameof(GanNetworks))
    {
        Generator = nn.Sequential(nn.Linear(NoiseSize, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid());
        Discriminator = nn.Sequential(nn.Linear(784, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1));
        RegisterComponents();
    }

    /// <summary>Generates digits from <paramref name="noise"/> (Lightning's GAN example: <c>forward(z) = generator(z)</c>).</summary>
    public override Tensor forward(Tensor noise) => Generator.forward(noise);

    /// <summary>
    /// One GAN iteration on <paramref name="real"/> digits (Lightning's basic GAN example, manual optimisation): the
    /// discriminator's loss on real and detached fake digits goes to <paramref name="stepDiscriminator"/>, then the
    /// generator's loss (fakes judged real) to <paramref name="stepGenerator"/>. Each callback zeroes, backpropagates
    /// and steps its optimiser. Returns both losses.
    /// </summary>
    public (Tensor Discriminator, Tensor Generator) Iterate(Tensor real, Action<Tensor> stepDiscriminator, Action<Tensor> stepGenerator)
    {
        long n = real.shape[0];
        var fake = Generator.forward(randn(n, NoiseSize));
        var (real1, fake0) = (ones(n, 1), zeros(n, 1));
        var dLoss = nn.functional.binary_cross_entropy_with_logits(Discriminator.forward(real), real1)
            + nn.functional.binary_cross_entropy_with_logits(Discriminator.forward(fake.detach()), fake0);
        stepDiscriminator(dLoss);
        var gLoss = nn.functional.binary_cross_entropy_with_logits(Discriminator.forward(fake), real1);
        stepGenerator(gLoss);
        return (dLoss, gLoss);
    }
}

/// <summary>
/// The GAN pattern under manual optimisation: two optimisers from <see cref="OptimizerConfig.Many"/> (discriminator
/// first, generator second), stepped in <see cref="TrainingStep"/> with <see cref="LightningModule.Optimizers(int)"/>;
/// epoch schedulers, when configured, are stepped by hand at each epoch's end (Lightning's manual optimisation docs).
/// </summary>
public sealed class DigitsGan : LightningModule
{
    readonly bool discriminatorScheduler, generatorScheduler;

    /// <summary>Creates the module on networks seeded with 7.</summary>
    public DigitsGan(bool manual = true, bool discriminatorScheduler = false, bool generatorScheduler = false) : base(Seeded())
    {
        AutomaticOptimization = !manual;
        (this.discriminatorScheduler, this.generatorScheduler) = (discriminatorScheduler, generatorScheduler);
    }

    static GanNetworks Seeded()
    {
        manual_seed(7);
        return new GanNetworks();
    }

    /// <summary>The two networks.</summary>
    public GanNetworks Nets => (GanNetworks)Network;

    /// <summary>When set, every step records whether it changed its own network and left the other bitwise alone.</summary>
    public bool CheckOwnership { get; init; }

    /// <summary>Steps that changed the other network's parameters, or none of their own (empty when all is well).</summary>
    public List<string> OwnershipViolations { get; } = [];

    /// <summary>Steps checked by <see cref="CheckOwnership"/>.</summary>
    public int CheckedSteps { get; private set; }

    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var (d, g) = (Optimizers(0), Optimizers(1));
        var (dLoss, gLoss) = Nets.Iterate(batch.Input,
            loss => Step(d, loss, Nets.Discriminator, Nets.Generator, $"discriminator step at batch {batchIndex}"),
            loss => Step(g, loss, Nets.Generator, Nets.Discriminator, $"generator step at batch {batchIndex}"));
        Log("d_loss", dLoss, batch.Size);
        Log("g_loss", gLoss, batch.Size);
        return dLoss.detach() + gLoss.detach();
    }

    void Step(LightningOptimizer optimizer, Tensor loss, nn.Module own, nn.Module other, string what)
    {
        optimizer.ZeroGrad();
        ManualBackward(loss);
        if (!CheckOwnership)
        {
            optimizer.Step();
            return;
        }
        var (ownBefore, otherBefore) = (Snapshot(own), Snapshot(other));
        optimizer.Step();
        CheckedSteps++;
        if (!Same(otherBefore, other)) OwnershipViolations.Add($"{what} changed the other network");
        if (Same(ownBefore, own)) OwnershipViolations.Add($"{what} left its own network unchanged");
    }

    static List<Tensor> Snapshot(nn.Module module) => [.. module.parameters().Select(p => p.detach().clone())];

    static bool Same(List<Tensor> before, nn.Module module) => before.Zip(module.parameters()).All(pair => pair.First.equal(pair.Second).all().item<bool>());

    /// <inheritdoc />
    public override void OnTrainEpochEnd()
    {
        // Under manual optimisation the trainer steps no scheduler (training_epoch_loop.py _update_learning_rates).
        LrSchedulers(0)?.step();
        LrSchedulers(1)?.step();
    }

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers()
    {
        var d = optim.Adam(Nets.Discriminator.parameters(), 2e-3, beta1: 0.5);
        var g = optim.Adam(Nets.Generator.parameters(), 1e-3, beta1: 0.5);
        return OptimizerConfig.Many(
            new OptimizerConfig(d, discriminatorScheduler ? optim.lr_scheduler.StepLR(d, step_size: 1, gamma: 0.5) : null),
            new OptimizerConfig(g, generatorScheduler ? optim.lr_scheduler.StepLR(g, step_size: 1, gamma: 0.1) : null));
    }
}
