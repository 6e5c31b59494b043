using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>A resume is checked before anything is written: the file, the model, the options that shape the steps (issue 10).</summary>
[Collection(TorchCollection.Name)]
public sealed class ResumeCheckTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    string SaveMlp(IReadOnlyDictionary<string, object?> hyperparameters)
    {
        string path = temp.File("last.ckpt");
        using var model = new DigitsMlp();
        CheckpointFile.Save(path, new Dictionary<string, IStateful>
        {
            [CheckpointKeys.ModelPart] = new ModuleState(model), ["hparams"] = new HyperparametersState(hyperparameters),
        });
        return path;
    }

    [Fact]
    public void Verify_WithTheSavedValuesAndModel_Passes()
    {
        string path = SaveMlp(new Dictionary<string, object?> { ["batch_size"] = 64, ["precision"] = "32-true" });
        using var model = new DigitsMlp();

        ResumeCheck.Verify(path, model, new Dictionary<string, object?> { ["batch_size"] = 64, ["precision"] = "32-true", ["not_saved"] = 3 });
    }

    [Fact]
    public void Verify_NamesEverySavedAndRequestedValueThatDiffer()
    {
        string path = SaveMlp(new Dictionary<string, object?> { ["batch_size"] = 64, ["devices"] = 2, ["precision"] = "32-true" });
        using var model = new DigitsMlp();

        var e = Assert.Throws<ResumeMismatchException>(() =>
            ResumeCheck.Verify(path, model, new Dictionary<string, object?> { ["batch_size"] = 32, ["devices"] = 1, ["precision"] = "32-true" }));

        Assert.Equal([new ResumeMismatch("batch_size", "64", "32"), new ResumeMismatch("devices", "2", "1")], e.Mismatches);
    }

    [Fact]
    public void Verify_WithAnotherModel_ListsTheKeysThatDoNotFit()
    {
        string path = SaveMlp(new Dictionary<string, object?>());
        using var cnn = new DigitsCnn();

        var e = Assert.Throws<StateMismatchException>(() => ResumeCheck.Verify(path, cnn, new Dictionary<string, object?>()));

        Assert.Contains(e.Problems, p => p.StartsWith("conv1.weight: missing", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("fc1.weight: unexpected", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_OfAFolder_SaysWhichFileToPass()
    {
        using var model = new DigitsMlp();

        var e = Assert.Throws<FileNotFoundException>(() => ResumeCheck.Verify(temp.Path, model, new Dictionary<string, object?>()));

        Assert.Contains(Path.Combine(temp.Path, "last.ckpt"), e.Message);
    }

    [Fact]
    public void Kernel_RefusesACheckpointOfAnotherPrecisionOrAccumulation()
    {
        using var network = new DigitsMlp();
        using var saved = new StepKernel(network, new OptimizerConfig(optim.SGD(network.parameters(), 0.1)), new StepOptions { AccumulateGradBatches = 2 });
        var state = saved.StateDict();
        using var other = new StepKernel(network, new OptimizerConfig(optim.SGD(network.parameters(), 0.1)), new StepOptions { AccumulateGradBatches = 1 });
        using var mixed = new StepKernel(network, new OptimizerConfig(optim.SGD(network.parameters(), 0.1)), new StepOptions { AccumulateGradBatches = 2, Precision = "bf16-mixed" });

        Assert.Contains("accumulated 2 batches per step, this fit 1", Assert.Throws<InvalidDataException>(() => other.LoadStateDict(state)).Message);
        Assert.Contains("precision '32-true', this fit uses 'bf16-mixed'", Assert.Throws<InvalidDataException>(() => mixed.LoadStateDict(state)).Message);
        Assert.False(other.Resumed);
    }
}
