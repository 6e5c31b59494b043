using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>EMAHandler as Ignite's (ignite/handlers/ema_handler.py; tests/ignite/handlers/test_ema_handler.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class EMAHandlerTests
{
    static nn.Module<Tensor, Tensor> Ones()
    {
        var linear = nn.Linear(2, 1, hasBias: false);
        using (no_grad()) linear.weight!.fill_(1);
        return linear;
    }

    // test_ema_update_ema_model: the online weights grow by 1 per iteration.
    static Engine Growing(nn.Module<Tensor, Tensor> model) => new((_, _) =>
    {
        using (no_grad()) foreach (var p in model.parameters()) p.add_(1);
        return null;
    });

    static double Weight(nn.Module module) => module.parameters().First()[0, 0].item<float>();

    [Fact]
    public void Update_AveragesWithTheMomentum()
    {
        using var data = CountingData.Loader(2, 1);
        var model = Ones();
        var ema = new EMAHandler(model, Ones(), momentum: 0.5);
        var engine = Growing(model);
        var seen = new List<double>();
        ema.Attach(engine);
        engine.On(Events.IterationCompleted, _ => seen.Add(Weight(ema.EmaModel)));

        engine.Run(data, maxEpochs: 1);

        // (1 - 0.5)·1 + 0.5·2 = 1.5, then 0.5·1.5 + 0.5·3 = 2.25.
        Assert.Equal([1.5, 2.25], seen);
        Assert.Equal(0.5, engine.State.Extras["ema_momentum"]);
        Assert.False(ema.EmaModel.training);
    }

    [Fact]
    public void Warmup_RaisesTheMomentumLinearly_ThenHoldsIt()
    {
        // test_ema_get_momentum / EMAWarmUp: momentum_warmup 0.1 to momentum 0.5 over 5 calls.
        using var data = CountingData.Loader(7, 1);
        var model = Ones();
        var ema = new EMAHandler(model, Ones(), momentum: 0.5, momentumWarmup: 0.1, warmupIters: 5);
        var engine = Growing(model);
        var momenta = new List<double>();
        ema.Attach(engine, "ema_momentum");
        engine.On(Events.IterationCompleted, e => momenta.Add(Math.Round((double)e.State.Extras["ema_momentum"], 6)));

        engine.Run(data, maxEpochs: 1);

        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5], momenta);
    }

    [Fact]
    public void Attach_WithAnEveryFilter_UpdatesAtThoseIterationsOnly()
    {
        using var data = CountingData.Loader(4, 1);
        var model = Ones();
        var ema = new EMAHandler(model, Ones(), momentum: 0.5);
        var engine = Growing(model);
        ema.Attach(engine, evt: Events.IterationCompleted.Every(2));

        engine.Run(data, maxEpochs: 1);

        // Iteration 2: 0.5·1 + 0.5·3 = 2; iteration 4: 0.5·2 + 0.5·5 = 3.5.
        Assert.Equal(3.5, Weight(ema.EmaModel));
    }

    [Fact]
    public void StateDict_ResumesTheAverageAndTheWarmup()
    {
        using var data = CountingData.Loader(6, 1);
        var reference = Ones();
        var referenceEma = new EMAHandler(reference, Ones(), momentum: 0.5, momentumWarmup: 0.1, warmupIters: 5);
        var engine = Growing(reference);
        referenceEma.Attach(engine);
        engine.Run(data, maxEpochs: 1);

        var first = Ones();
        var firstEma = new EMAHandler(first, Ones(), momentum: 0.5, momentumWarmup: 0.1, warmupIters: 5);
        var stopped = Growing(first);
        firstEma.Attach(stopped);
        stopped.On(Events.IterationCompleted.Once(3), e => e.Interrupt());
        stopped.Run(data, maxEpochs: 1);
        var (engineState, emaState, modelState) = (stopped.StateDict(), firstEma.StateDict(), new ModuleState(first).StateDict());

        var resumedModel = Ones();
        var resumedEma = new EMAHandler(resumedModel, Ones(), momentum: 0.5, momentumWarmup: 0.1, warmupIters: 5);
        new ModuleState(resumedModel).LoadStateDict(modelState);
        resumedEma.LoadStateDict(emaState);
        var resumed = Growing(resumedModel);
        resumed.LoadStateDict(engineState);
        resumedEma.Attach(resumed);
        resumed.Run(data, maxEpochs: 1);

        Assert.Equal(Weight(referenceEma.EmaModel), Weight(resumedEma.EmaModel));
        Assert.NotEqual(Weight(reference), Weight(referenceEma.EmaModel));
    }

    [Fact]
    public void BadArguments_AreRefusedWithTheirName()
    {
        var model = Ones();
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new EMAHandler(model, Ones(), momentum: 1.5)).ParamName);
        Assert.Equal("warmupIters", Assert.Throws<ArgumentException>(() => new EMAHandler(model, Ones(), momentumWarmup: 0.1)).ParamName);
        Assert.Contains("'copy', 'update', 'ema_train'", Assert.Throws<ArgumentException>(() => new EMAHandler(model, Ones(), handleBuffers: "keep")).Message);
        Assert.Contains("same architecture", Assert.Throws<ArgumentException>(() => new EMAHandler(model, nn.Linear(3, 1))).Message);
    }
}
