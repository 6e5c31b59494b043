using Unified.Testing;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary><c>unified export</c>: a checkpoint written by <c>unified fit</c> becomes an ONNX model; usage errors exit 2.</summary>
[Collection(TorchCollection.Name)]
public sealed class ExportCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-export-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string Fit(string model)
    {
        string runDir = Path.Combine(temp, model);
        var fit = CliRun.Of("fit", "--model", model, "--epochs", "1", "--max-steps", "5", "--threads", "1", "--run-dir", runDir);
        Assert.True(fit.ExitCode == 0, fit.Error);
        return Path.Combine(runDir, "last.ckpt");
    }

    [SkippableTheory]
    [InlineData("mlp", 784)]
    [InlineData("cnn", 28)]
    public void Export_WritesAnOnnxModelThatTheCheckerAccepts_AndReportsItAsJson(string model, int lastInputDim)
    {
        string checkpoint = Fit(model), output = Path.Combine(temp, model + ".onnx");

        var run = CliRun.Of("export", "--checkpoint", checkpoint, "--model", model, "--format", "onnx", "--output", output, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        Assert.Equal("onnx", json.GetProperty("format").GetString());
        Assert.Equal(output, json.GetProperty("path").GetString());
        Assert.Equal(17, json.GetProperty("opset").GetInt32());
        var input = json.GetProperty("inputs")[0];
        Assert.Equal("input", input.GetProperty("name").GetString());
        Assert.Equal("batch", input.GetProperty("shape")[0].GetString());
        Assert.Equal(lastInputDim, input.GetProperty("shape")[input.GetProperty("shape").GetArrayLength() - 1].GetInt32());
        Assert.Equal("[\"batch\",10]", json.GetProperty("outputs")[0].GetProperty("shape").GetRawText());

        DebianPython.SkipUnlessAvailable("onnx");
        var (code, checkOutput, checkError) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "check_onnx.py"), output);
        Assert.True(code == 0, checkOutput + checkError);
    }

    [Fact]
    public void ModelTheCheckpointDoesNotHold_IsAUsageErrorNamingTheModelItHolds()
    {
        string checkpoint = Fit("mlp"), output = Path.Combine(temp, "x.onnx");

        var run = CliRun.Of("export", "--checkpoint", checkpoint, "--model", "cnn", "--output", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: '{checkpoint}' holds a 'mlp' model, not 'cnn'; pass --model mlp.", run.Error.Trim());
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("torchscript", "Unknown --format 'torchscript'. Valid formats: onnx")]
    [InlineData("onnx", "does not exist")]
    public void UnknownFormatOrMissingCheckpoint_IsAUsageError(string format, string message)
    {
        var run = CliRun.Of("export", "--checkpoint", Path.Combine(temp, "nope.ckpt"), "--format", format, "--output", Path.Combine(temp, "x.onnx"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public void ExistingOutput_IsKeptUnlessOverwriteIsPassed()
    {
        string checkpoint = Fit("mlp"), output = Path.Combine(temp, "mine.onnx");
        File.WriteAllText(output, "a user's file");

        var refused = CliRun.Of("export", "--checkpoint", checkpoint, "--output", output);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("a user's file", File.ReadAllText(output));

        Assert.Equal(0, CliRun.Of("export", "--checkpoint", checkpoint, "--output", output, "--overwrite").ExitCode);
        Assert.NotEqual("a user's file", File.ReadAllText(output));
    }
}
