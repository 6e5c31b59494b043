using Xunit;
using System.Buffers.Binary;
using System.Text.Json;

namespace Unified.Cli.Tests;

[Collection(TorchCollection.Name)]
public sealed class FitCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-cli-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string RunDir(string name) => Path.Combine(temp, name);

    [Fact]
    public void Fit_WithDefaults_ReachesNinetyPercentAndPrintsTheJsonContract()
    {
        var run = CliRun.Of("fit", "--json", "--run-dir", RunDir("mlp"));

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        foreach (string key in new[] { "framework", "model", "precision", "devices", "epochs", "steps", "train_loss", "val_loss", "val_accuracy",
                     "seconds", "samples_per_second", "weights_sha256", "checkpoint", "run_dir", "peak_rss_mb" })
            Assert.True(json.TryGetProperty(key, out _), $"missing key {key}");
        Assert.Equal("lightning", json.GetProperty("framework").GetString());
        Assert.Equal(3, json.GetProperty("epochs").GetInt32());
        Assert.Equal(375, json.GetProperty("steps").GetInt64());
        Assert.True(json.GetProperty("val_accuracy").GetDouble() >= 0.90, run.Output);
        Assert.Matches("^[0-9a-f]{64}$", json.GetProperty("weights_sha256").GetString());
        Assert.Equal(3, run.Output.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Fit_WithCnn_ReachesNinetyFourPercent()
    {
        var run = CliRun.Of("fit", "--model", "cnn", "--json", "--run-dir", RunDir("cnn"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(run.Json().GetProperty("val_accuracy").GetDouble() >= 0.94, run.Output);
    }

    [Fact]
    public void Fit_ThroughLightningAndIgnite_PrintsTheSameWeightsHash()
    {
        var lightning = CliRun.Of("fit", "--framework", "lightning", "--epochs", "1", "--json", "--run-dir", RunDir("l")).Json();
        var ignite = CliRun.Of("fit", "--framework", "ignite", "--epochs", "1", "--json", "--run-dir", RunDir("i")).Json();
        var otherSeed = CliRun.Of("fit", "--framework", "ignite", "--epochs", "1", "--seed", "7", "--json", "--run-dir", RunDir("s")).Json();

        Assert.Equal(lightning.GetProperty("weights_sha256").GetString(), ignite.GetProperty("weights_sha256").GetString());
        Assert.Equal(lightning.GetProperty("val_loss").GetDouble(), ignite.GetProperty("val_loss").GetDouble());
        Assert.NotEqual(lightning.GetProperty("weights_sha256").GetString(), otherSeed.GetProperty("weights_sha256").GetString());
    }

    [Fact]
    public void Fit_InBf16Mixed_ReportsThePrecisionAndFlatMemoryPerEpoch()
    {
        var run = CliRun.Of("fit", "--precision", "bf16-mixed", "--epochs", "2", "--json", "--run-dir", RunDir("bf16"));

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        Assert.Equal("bf16-mixed", json.GetProperty("precision").GetString());
        Assert.True(json.GetProperty("val_accuracy").GetDouble() >= 0.90, run.Output);
        var memory = json.GetProperty("epoch_memory").EnumerateArray().ToList();
        Assert.Equal(2, memory.Count);
        // The count is process-wide (earlier tests' garbage may still be finalised), so a leak shows as growth.
        Assert.True(memory[1].GetProperty("live_tensors").GetInt64() <= memory[0].GetProperty("live_tensors").GetInt64(), run.Output);
    }

    [Fact]
    public void Fit_WritesASafetensorsCheckpointAndTheConfigIntoTheRunDirectory()
    {
        var json = CliRun.Of("fit", "--epochs", "1", "--json", "--run-dir", RunDir("ckpt")).Json();

        string checkpoint = json.GetProperty("checkpoint").GetString()!;
        Assert.Equal(Path.Combine(RunDir("ckpt"), "last.ckpt"), checkpoint);
        byte[] bytes = File.ReadAllBytes(checkpoint);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)).RootElement;
        Assert.Equal("F32", header.GetProperty("fc1.weight").GetProperty("dtype").GetString());
        Assert.Equal([256, 784], header.GetProperty("fc1.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        long dataEnd = header.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Max(p => p.Value.GetProperty("data_offsets")[1].GetInt64());
        Assert.Equal(bytes.Length, 8 + headerLength + dataEnd);
        Assert.True(File.Exists(Path.Combine(RunDir("ckpt"), "config.yaml")));
        Assert.Empty(Directory.GetFiles(RunDir("ckpt"), "*.tmp"));
    }

    [Theory]
    [InlineData("--framework", "keras", "lightning, ignite")]
    [InlineData("--model", "resnet", "mlp, cnn")]
    [InlineData("--epochs", "0", "--epochs")]
    [InlineData("--batch-size", "-5", "--batch-size")]
    [InlineData("--lr", "0", "--lr")]
    [InlineData("--accelerator", "tpu", "cpu, cuda, auto")]
    [InlineData("--precision", "fp8", "32-true, bf16-mixed, 16-mixed, bf16-true, 16-true, 64-true")]
    [InlineData("--epochs", "three", "three")]
    public void Fit_WithAnInvalidValue_ExitsWithTwoAndNamesIt(string option, string value, string expected)
    {
        var run = CliRun.Of("fit", option, value, "--run-dir", RunDir("bad"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void Fit_WithAnUnknownOption_ExitsWithTwo()
    {
        var run = CliRun.Of("fit", "--epoch", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--epoch", run.Error);
    }

    [Fact]
    public void Fit_WithAMissingDataPath_ExitsWithOneAndSaysWhatToPass()
    {
        var run = CliRun.Of("fit", "--data", Path.Combine(temp, "nowhere"), "--run-dir", RunDir("missing"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("does not exist", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void Fit_WithATruncatedDataFile_ExitsWithOneAndSaysTruncated()
    {
        string folder = Directory.CreateDirectory(Path.Combine(temp, "broken")).FullName;
        byte[] header = [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28];
        File.WriteAllBytes(Path.Combine(folder, "x-images-idx3-ubyte"), [.. header, .. new byte[100]]);
        File.WriteAllBytes(Path.Combine(folder, "x-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 10, .. new byte[10]]);

        var run = CliRun.Of("fit", "--data", folder, "--run-dir", RunDir("broken-run"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("truncated", run.Error);
    }
}
