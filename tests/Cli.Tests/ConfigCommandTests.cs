using Xunit;

namespace Unified.Cli.Tests;

// LightningCLI's semantics (lightning/pytorch/cli.py, LightningCLI with jsonargparse): a config file sets the
// defaults, command-line arguments override it, --print-config prints the resolved config and exits, and the
// SaveConfigCallback writes config.yaml into the run's log folder.
[Collection(TorchCollection.Name)]
public sealed class ConfigCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-config-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string In(string name) => Path.Combine(temp, name);

    static string SampleConfig => Path.Combine(RepositoryRoot.Path, "samples", "Unified.Samples", "run.yaml");

    string Write(string name, string text)
    {
        File.WriteAllText(In(name), text);
        return In(name);
    }

    [Fact]
    public void Fit_WithTheSampleConfig_PrintsTheSameWeightsHashAsTheEquivalentFlags_AndItsSavedConfigRepeatsTheRun()
    {
        var config = CliRun.Of("fit", "--config", SampleConfig, "--run-dir", In("config"), "--json");
        var flags = CliRun.Of("fit", "--framework", "ignite", "--seed", "7", "--epochs", "1", "--max-steps", "40", "--accumulate", "2",
            "--clip-grad", "1.0", "--batch-size", "32", "--lr", "0.002", "--run-dir", In("flags"), "--json");
        var repeat = CliRun.Of("fit", "--config", Path.Combine(In("config"), "config.yaml"), "--run-dir", In("repeat"), "--json");
        var other = CliRun.Of("fit", "--config", SampleConfig, "--optimizer.lr", "0.003", "--run-dir", In("other"), "--json");

        Assert.True(config.ExitCode == 0, config.Error);
        string hash = config.Json().GetProperty("weights_sha256").GetString()!;
        Assert.Equal("ignite", config.Json().GetProperty("framework").GetString());
        Assert.Equal(40, config.Json().GetProperty("steps").GetInt64());
        Assert.Equal(hash, flags.Json().GetProperty("weights_sha256").GetString());
        Assert.Equal(hash, repeat.Json().GetProperty("weights_sha256").GetString());
        Assert.NotEqual(hash, other.Json().GetProperty("weights_sha256").GetString());
        // The saved config names no run folder, so that repeating it claims a new one.
        Assert.Contains("default_root_dir: null", File.ReadAllText(Path.Combine(In("config"), "config.yaml")));
    }

    [Fact]
    public void PrintConfig_OfItsOwnOutput_IsTheSame_AndFlagsAndOverridesBeatTheFile()
    {
        string file = Write("base.yaml", "trainer:\n  max_epochs: 5\n  logger: [tensorboard]\ndata:\n  batch_size: 16\n");
        var printed = CliRun.Of("fit", "--config", file, "--epochs", "2", "--data.batch_size=8", "--trainer.max_steps", "100", "--print-config");

        Assert.True(printed.ExitCode == 0, printed.Error);
        Assert.Contains("  max_epochs: 2\n", printed.Output);
        Assert.Contains("  batch_size: 8\n", printed.Output);
        Assert.Contains("  max_steps: 100\n", printed.Output);
        Assert.Contains("  logger: [\"tensorboard\"]\n", printed.Output);
        string again = Write("printed.yaml", printed.Output);
        Assert.Equal(printed.Output, CliRun.Of("fit", "--config", again, "--print-config").Output);
        Assert.Empty(Directory.GetDirectories(temp)); // --print-config trains nothing and claims no run folder
    }

    [Fact]
    public void Config_InJson_ResolvesAsTheSameYaml()
    {
        string yaml = Write("a.yaml", "framework: ignite\ntrainer:\n  max_epochs: 2\n  gradient_clip_val: 0.5\n  logger:\n    - tensorboard\n    - csv\nmodel:\n  name: CNN\n");
        string json = Write("a.json", """{"framework": "ignite", "trainer": {"max_epochs": 2, "gradient_clip_val": 0.5, "logger": ["tensorboard", "csv"]}, "model": {"name": "cnn"}}""");

        var fromYaml = CliRun.Of("fit", "--config", yaml, "--print-config");
        var fromJson = CliRun.Of("fit", "--config", json, "--print-config");

        Assert.True(fromYaml.ExitCode == 0, fromYaml.Error);
        Assert.Equal(fromYaml.Output, fromJson.Output);
        Assert.Contains("  name: \"cnn\"\n", fromYaml.Output);
        Assert.Contains("  gradient_clip_val: 0.5\n", fromYaml.Output);
    }

    [Theory]
    [InlineData("trainer:\n  max_epoch: 3\n", "unknown key 'trainer.max_epoch'; did you mean 'trainer.max_epochs'?")]
    [InlineData("optimiser:\n  lr: 0.1\n", "unknown key 'optimiser.lr'; did you mean 'optimizer.lr'?")]
    [InlineData("trainer:\n  max_epochs: three\n", "trainer.max_epochs in")]
    [InlineData("optimizer:\n  lr: fast\n", "optimizer.lr in")]
    [InlineData("trainer:\n  skip_non_finite_loss: maybe\n", "true or false")]
    [InlineData("trainer:\n  max_epochs: 0\n", "trainer.max_epochs in")]
    [InlineData("trainer: 5\n", "'trainer' is a section")]
    [InlineData("trainer: [1\n", "is not valid YAML")]
    public void Config_WithABadKeyOrValue_ExitsWithTwoAndOneLineNamingIt(string yaml, string expected)
    {
        var run = CliRun.Of("fit", "--config", Write("bad.yaml", yaml), "--run-dir", In("bad"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(In("bad")));
    }

    [Theory]
    [InlineData(new[] { "--config", "MISSING" }, "does not exist")]
    [InlineData(new[] { "--config", "TEMP" }, "is a folder")]
    [InlineData(new[] { "--epochs", "2", "--trainer.max_epochs", "3" }, "--epochs 2 and --trainer.max_epochs 3")]
    [InlineData(new[] { "--trainer.max_epoch", "3" }, "did you mean '--trainer.max_epochs'?")]
    [InlineData(new[] { "--trainer.max_epochs", "2", "--trainer.max_epochs", "3" }, "given twice")]
    [InlineData(new[] { "--trainer.max_epochs" }, "needs a value")]
    [InlineData(new[] { "--data.batch_size", "big" }, "--data.batch_size needs a whole number")]
    public void Fit_WithBadConfigArguments_ExitsWithTwoAndOneLine(string[] arguments, string expected)
    {
        var args = arguments.Select(a => a switch { "MISSING" => In("nowhere.yaml"), "TEMP" => temp, _ => a }).Prepend("fit").Append("--run-dir").Append(In("bad"));

        var run = CliRun.Of([.. args]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(In("bad")));
    }

    [Fact]
    public void Resume_KeepsTheConfigTheFirstRunSaved()
    {
        var first = CliRun.Of("fit", "--max-steps", "20", "--run-dir", In("run"), "--json");
        Assert.True(first.ExitCode == 0, first.Error);
        string saved = File.ReadAllText(Path.Combine(In("run"), "config.yaml"));

        var resumed = CliRun.Of("fit", "--max-steps", "30", "--resume", Path.Combine(In("run"), "last.ckpt"), "--json");

        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Equal(saved, File.ReadAllText(Path.Combine(In("run"), "config.yaml")));
        Assert.Contains("  max_steps: 20\n", saved);
    }
}
