using Unified.Testing;
using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Visualization;
using Xunit;

namespace Unified.Tuning.Tests;

public sealed class StudyPlotsTests : IDisposable
{
    readonly TempDirectory directory = new();

    static Study Finished()
    {
        var study = Study.Create("plots", StudyDirection.Maximize, new RandomSampler(4), new MedianPruner(startupTrials: 2));
        study.Optimize(trial =>
        {
            double lr = trial.SuggestFloat("lr", 1e-4, 1e-1, log: true);
            int width = trial.SuggestInt("width", 8, 64, log: true);
            for (int step = 0; step < 3; step++)
            {
                trial.Report(-Math.Abs(Math.Log10(lr) + 2) + step, step);
                if (trial.ShouldPrune()) throw new TrialPrunedException();
            }
            return -Math.Abs(Math.Log10(lr) + 2) + 2 + width * 1e-3;
        }, nTrials: 12);
        return study;
    }

    [Fact]
    public void Plots_ArePngFiles_OfTheRequestedSize()
    {
        var study = Finished();
        Assert.Contains(study.Trials, t => t.State == TrialState.Pruned); // the grey points are drawn too
        StudyPlots.SaveOptimizationHistory(study, directory.File("history.png"));
        StudyPlots.SaveParamImportances(study, directory.File("importances.png"), width: 640, height: 360);

        var history = PngFile.Read(directory.File("history.png"));
        var importances = PngFile.Read(directory.File("importances.png"));
        Assert.Equal((StudyPlots.DefaultWidth, StudyPlots.DefaultHeight), (history.Width, history.Height));
        Assert.Equal((640, 360), (importances.Width, importances.Height));
        Assert.Equal(8, history.BitDepth);
        Assert.Equal(["history.png", "importances.png"], directory.FileNames()); // no temporary file left behind
    }

    [Fact]
    public void AnExistingFile_IsNeverReplaced()
    {
        string path = directory.File("history.png");
        File.WriteAllText(path, "my own chart\n");
        var e = Assert.Throws<IOException>(() => StudyPlots.SaveOptimizationHistory(Finished(), path));
        Assert.Equal($"'{path}' exists; it was left as it was: choose another file or folder for the plots.", e.Message);
        Assert.Equal("my own chart\n", File.ReadAllText(path));
        Assert.Equal(["history.png"], directory.FileNames());
    }

    [Fact]
    public void AStudyWithoutACompleteTrial_HasNoHistoryToPlot()
    {
        var study = Study.Create("empty");
        var e = Assert.Throws<InvalidOperationException>(() => StudyPlots.SaveOptimizationHistory(study, directory.File("h.png")));
        Assert.Contains("has no complete trial to plot", e.Message);
        Assert.Empty(directory.FileNames());
    }

    public void Dispose() => directory.Dispose();
}
