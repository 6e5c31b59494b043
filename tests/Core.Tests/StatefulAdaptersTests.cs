using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Optimiser, scheduler, RNG and logged-metric state survive a checkpoint so that training continues bitwise.</summary>
[Collection(TorchCollection.Name)]
public sealed class StatefulAdaptersTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class Run : IDisposable
    {
        public required DigitsMlp Model { get; init; }
        public required optim.Optimizer Optimizer { get; init; }
        public optim.lr_scheduler.LRScheduler? Scheduler { get; init; }

        public Dictionary<string, IStateful> Parts()
        {
            var parts = new Dictionary<string, IStateful> { ["model"] = new ModuleState(Model), ["optimizer"] = new OptimizerState(Optimizer), ["rng"] = new RngState() };
            if (Scheduler is not null) parts["lr_scheduler"] = new SchedulerState(Scheduler);
            return parts;
        }

        // Dropout draws from the global generator, so the RNG part matters too.
        public void Step(int step)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator(1000 + (ulong)step);
            var x = rand(16, 784, generator: generator);
            var y = randint(0, 10, [16], generator: generator);
            Optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(Model.call(nn.functional.dropout(x, 0.2)), y);
            loss.backward();
            Optimizer.step();
            Scheduler?.step();
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    static Run Create(string kind, long seed)
    {
        manual_seed(seed);
        var model = new DigitsMlp();
        optim.Optimizer optimizer = kind switch
        {
            "adam" => optim.Adam(model.parameters(), lr: 1e-3),
            "adamw-amsgrad" => optim.AdamW(model.parameters(), lr: 1e-3, amsgrad: true),
            "sgd-momentum" => optim.SGD(model.parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true),
            _ => throw new ArgumentException(kind),
        };
        var scheduler = kind == "sgd-momentum" ? optim.lr_scheduler.StepLR(optimizer, step_size: 3, gamma: 0.5) : null;
        return new Run { Model = model, Optimizer = optimizer, Scheduler = scheduler };
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw-amsgrad")]
    [InlineData("sgd-momentum")]
    public void Resume_FromACheckpoint_ContinuesBitwiseIdentically(string kind)
    {
        const int total = 10, split = 4;
        using var uninterrupted = Create(kind, 42);
        for (int s = 0; s < total; s++) uninterrupted.Step(s);

        string path = temp.File("mid.ckpt");
        using (var first = Create(kind, 42))
        {
            for (int s = 0; s < split; s++) first.Step(s);
            CheckpointFile.Save(path, first.Parts());
        }
        manual_seed(999); // the generator moves on in between, as it would in another process
        using var resumed = Create(kind, 7);
        using (var contents = CheckpointFile.Load(path)) contents.Restore(resumed.Parts());
        for (int s = split; s < total; s++) resumed.Step(s);

        Assert.True(ModuleWeights.BitwiseEqual(uninterrupted.Model, resumed.Model));
        Assert.Equal(uninterrupted.Optimizer.ParamGroups.First().LearningRate, resumed.Optimizer.ParamGroups.First().LearningRate);
    }

    [Fact]
    public void OptimizerState_NamesStateAsPyTorchDoes()
    {
        using var run = Create("adam", 1);
        run.Step(0);

        var state = new OptimizerState(run.Optimizer).StateDict();

        Assert.Contains("state.0.exp_avg", state.Tensors.Keys);
        Assert.Contains("state.3.exp_avg_sq", state.Tensors.Keys);
        Assert.Equal(1L, state.Value<long>("state.0.step"));
        Assert.Equal(1e-3, state.Value<double>("param_groups.0.lr"));
        Assert.Equal(0.9, state.Value<double>("param_groups.0.beta1"));
    }

    [Fact]
    public void OptimizerState_OfAnotherOptimizerType_IsRefused()
    {
        using var adam = Create("adam", 1);
        using var sgd = Create("sgd-momentum", 1);

        var e = Assert.Throws<InvalidDataException>(() => new OptimizerState(sgd.Optimizer).LoadStateDict(new OptimizerState(adam.Optimizer).StateDict()));
        Assert.Contains("Adam", e.Message);
    }

    [Fact]
    public void OptimizerState_WithAMisshapenTensor_ListsTheKey()
    {
        using var run = Create("adam", 1);
        var state = new OptimizerState(run.Optimizer).StateDict();
        using var wrong = zeros(3);
        state.Tensors["state.1.exp_avg"] = wrong;

        var e = Assert.Throws<StateMismatchException>(() => new OptimizerState(run.Optimizer).LoadStateDict(state));
        Assert.Equal(["state.1.exp_avg: shape [3] in the state, [256] in the optimizer"], e.Problems);
    }

    [Fact]
    public void LoggedMetrics_RestoredMidEpoch_ComputeTheSameMeans()
    {
        using var logged = new LoggedMetrics();
        using var a = tensor(0.5f);
        using var b = tensor(0.25f);
        logged.Add("train_loss", a, 10, showOnProgressBar: true);
        logged.Add("train_loss", b, 30);
        string path = temp.File("m.ckpt");
        CheckpointFile.Save(path, new Dictionary<string, IStateful> { ["logged"] = logged });

        using var restored = new LoggedMetrics();
        using (var contents = CheckpointFile.Load(path)) contents.Restore(new Dictionary<string, IStateful> { ["logged"] = restored });

        Assert.Equal(logged.Compute()["train_loss"], restored.Compute()["train_loss"]);
        Assert.Contains("train_loss", restored.ProgressBarNames);
    }

    [Fact]
    public void LoopProgress_RefusesNegativeCounters()
    {
        var state = new LoopProgress { Epoch = 1 }.StateDict();
        state.Values["global_step"] = -3;

        Assert.Throws<InvalidDataException>(() => new LoopProgress().LoadStateDict(state));
    }

    [Fact]
    public void HyperparametersState_RecordsTheValuesAsJson()
    {
        var state = new HyperparametersState(new Dictionary<string, object?> { ["lr"] = 1e-3, ["model"] = "mlp", ["clip"] = null }).StateDict();

        Assert.Equal(1e-3, state.Value<double>("lr"));
        Assert.Equal("mlp", state.Value<string>("model"));
        Assert.Null(state.Values["clip"]);
    }
}
