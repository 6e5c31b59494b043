using Xunit;

namespace Unified.Cli.Tests;

// Lightning's trainer.validate / test / predict(ckpt_path=...) (lightning/pytorch/trainer/trainer.py): the weights come
// from the checkpoint, the metrics are the logged epoch means; Ignite's create_supervised_evaluator computes the same
// Loss and Accuracy over the run.
[Collection(TorchCollection.Name)]
public sealed class EvaluateCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-eval-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string In(string name) => Path.Combine(temp, name);

    static bool Close(double a, double e) => Math.Abs(a - e) <= 1e-6 + 1e-6 * Math.Abs(e);

    string Fit(params string[] extra)
    {
        var run = CliRun.Of(["fit", "--max-steps", "60", "--run-dir", In("run"), "--json", .. extra]);
        Assert.True(run.ExitCode == 0, run.Error);
        return Path.Combine(In("run"), "last.ckpt");
    }

    [Fact]
    public void Validate_ThroughBothFrontEnds_ReportsTheFitsValidationMetrics()
    {
        string checkpoint = Fit();
        var fitted = CliRun.Of("fit", "--max-steps", "60", "--run-dir", In("again"), "--json").Json();

        var lightning = CliRun.Of("validate", "--checkpoint", checkpoint, "--json");
        var ignite = CliRun.Of("validate", "--checkpoint", checkpoint, "--framework", "ignite", "--json");

        Assert.True(lightning.ExitCode == 0, lightning.Error);
        Assert.True(ignite.ExitCode == 0, ignite.Error);
        foreach (var run in new[] { lightning.Json(), ignite.Json() })
        {
            Assert.Equal(2000, run.GetProperty("samples").GetInt32());
            Assert.True(Close(run.GetProperty("val_loss").GetDouble(), fitted.GetProperty("val_loss").GetDouble()), lightning.Output + ignite.Output);
            Assert.True(Close(run.GetProperty("val_accuracy").GetDouble(), fitted.GetProperty("val_accuracy").GetDouble()), lightning.Output + ignite.Output);
        }
    }

    [Fact]
    public void Test_OnTheHeldOutSplit_AgreesBetweenFrontEnds_AndWarnsWhenTheFitHeldNoneOut()
    {
        string checkpoint = Fit("--test-fraction", "0.1");

        var lightning = CliRun.Of("test", "--checkpoint", checkpoint, "--json");
        var ignite = CliRun.Of("test", "--checkpoint", checkpoint, "--framework", "ignite", "--json");

        Assert.True(lightning.ExitCode == 0, lightning.Error);
        Assert.Empty(lightning.Error);
        Assert.Equal(1000, lightning.Json().GetProperty("samples").GetInt32());
        Assert.True(Close(lightning.Json().GetProperty("test_loss").GetDouble(), ignite.Json().GetProperty("test_loss").GetDouble()));
        Assert.True(Close(lightning.Json().GetProperty("test_accuracy").GetDouble(), ignite.Json().GetProperty("test_accuracy").GetDouble()));
        Assert.True(lightning.Json().GetProperty("test_accuracy").GetDouble() > 0.5, lightning.Output);

        var noTestSplit = CliRun.Of("fit", "--max-steps", "5", "--run-dir", In("plain"));
        Assert.Equal(0, noTestSplit.ExitCode);
        var warned = CliRun.Of("test", "--checkpoint", Path.Combine(In("plain"), "last.ckpt"));
        Assert.Equal(0, warned.ExitCode);
        Assert.Contains("warning: ", warned.Error);
        Assert.Contains("training samples", warned.Error);
    }

    [Fact]
    public void Predict_WritesOneRowPerSample_TheSameThroughBothFrontEnds_AndNeverOverAnExistingFile()
    {
        string checkpoint = Fit();
        var validated = CliRun.Of("validate", "--checkpoint", checkpoint, "--json").Json();

        var lightning = CliRun.Of("predict", "--checkpoint", checkpoint, "--output", In("l.csv"), "--json");
        var ignite = CliRun.Of("predict", "--checkpoint", checkpoint, "--framework", "ignite", "--output", In("i.csv"), "--json");

        Assert.True(lightning.ExitCode == 0, lightning.Error);
        Assert.True(ignite.ExitCode == 0, ignite.Error);
        string[] rows = File.ReadAllLines(In("l.csv"));
        Assert.Equal("index,prediction,confidence,label", rows[0]);
        Assert.Equal(2001, rows.Length);
        Assert.Equal(rows.Select(r => string.Join(',', r.Split(',')[..2])), File.ReadAllLines(In("i.csv")).Select(r => string.Join(',', r.Split(',')[..2])));
        double accuracy = rows.Skip(1).Count(r => r.Split(',')[1] == r.Split(',')[3]) / 2000.0;
        Assert.Equal(validated.GetProperty("val_accuracy").GetDouble(), accuracy, 1e-6);
        Assert.Equal(accuracy, lightning.Json().GetProperty("predict_accuracy").GetDouble(), 1e-12);

        File.WriteAllText(In("mine.csv"), "my data");
        var refused = CliRun.Of("predict", "--checkpoint", checkpoint, "--output", In("mine.csv"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--overwrite", refused.Error);
        Assert.Equal("my data", File.ReadAllText(In("mine.csv")));
        Assert.Equal(0, CliRun.Of("predict", "--checkpoint", checkpoint, "--output", In("mine.csv"), "--overwrite").ExitCode);
        Assert.Equal(2001, File.ReadAllLines(In("mine.csv")).Length);
    }

    [Theory]
    [InlineData("validate", "MISSING", "does not exist")]
    [InlineData("test", "GARBAGE", "cannot be read")]
    [InlineData("validate", "FOLDER", "is a folder")]
    [InlineData("predict", "CNN", "holds a 'mlp' model, not 'cnn'")]
    public void Evaluate_WithABadCheckpoint_ExitsWithTwoAndOneLine(string stage, string checkpoint, string expected)
    {
        string path = checkpoint switch
        {
            "MISSING" => In("nowhere.ckpt"),
            "GARBAGE" => In("garbage.ckpt"),
            "FOLDER" => temp,
            _ => Fit(),
        };
        File.WriteAllText(In("garbage.ckpt"), "not a checkpoint at all, just text");
        string[] args = [stage, "--checkpoint", path, .. checkpoint == "CNN" ? new[] { "--model", "cnn" } : [], .. stage == "predict" ? new[] { "--output", In("p.csv") } : []];

        var run = CliRun.Of(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(In("p.csv")));
    }
}
