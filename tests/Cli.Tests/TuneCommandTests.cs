using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Unified.Testing;
using Unified.Tuning;
using Unified.Tuning.Storages;
using Unified.Tuning.Tests;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// <c>unified tune</c> on capped digits fits: the JSON contract of DESIGN.md (<c>study</c>, <c>trials</c> each
/// <c>{number, state, value, params}</c>, <c>best</c>), a SQLite study that a second run continues, the PNG plots,
/// median pruning through both front-ends, and bad input as one line with exit code 2.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TuneCommandTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static readonly string[] Small = ["--epochs", "1", "--limit-train-batches", "10", "--threads", "1"];

    static CliRun Tune(params string[] args) => CliRun.Of(["tune", .. args]);

    static void AssertParamsInTheSearchSpace(JsonElement parameters)
    {
        Assert.Equal(["batch_size", "hidden_width", "lr"], parameters.EnumerateObject().Select(p => p.Name));
        Assert.InRange(parameters.GetProperty("lr").GetDouble(), 1e-4, 1e-1);
        Assert.Contains(parameters.GetProperty("batch_size").GetInt32(), new[] { 32, 64, 128, 256 });
        Assert.InRange(parameters.GetProperty("hidden_width").GetInt32(), 32, 512);
    }

    [Fact]
    public void Tune_TwoTrials_PrintsTheStudyAndTheBestTrialAsJson_AndDrawsThePlots()
    {
        string plots = temp.File("plots");
        var run = Tune(["--trials", "2", .. Small, "--json", "--plots", plots]);

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        Assert.Equal("digits-mlp", json.GetProperty("study").GetString());
        var trials = json.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal([0, 1], trials.Select(t => t.GetProperty("number").GetInt32()));
        Assert.All(trials, t =>
        {
            Assert.Equal("COMPLETE", t.GetProperty("state").GetString()); // the median pruner waits for 5 complete trials
            Assert.InRange(t.GetProperty("value").GetDouble(), 0.1, 1);
            AssertParamsInTheSearchSpace(t.GetProperty("params"));
        });
        var best = json.GetProperty("best");
        var top = trials.OrderByDescending(t => t.GetProperty("value").GetDouble()).ThenBy(t => t.GetProperty("number").GetInt32()).First();
        Assert.Equal(top.GetProperty("number").GetInt32(), best.GetProperty("number").GetInt32());
        Assert.Equal(top.GetProperty("value").GetDouble(), best.GetProperty("value").GetDouble());
        Assert.Equal(top.GetProperty("params").GetRawText(), best.GetProperty("params").GetRawText());
        Assert.Equal(2, json.GetProperty("epochs_trained").GetInt32());
        Assert.Contains($"best trial {best.GetProperty("number").GetInt32()}: val_accuracy", run.Output);

        foreach (string name in new[] { "optimization_history.png", "param_importances.png" })
        {
            var png = PngFile.Read(Path.Combine(plots, name));
            Assert.Equal((800, 500), (png.Width, png.Height));
        }
        // A second run may not draw over them.
        var again = Tune(["--trials", "1", .. Small, "--plots", plots]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds optimization_history.png", again.Error);
    }

    [Fact]
    public void Tune_ThroughIgnite_IntoSqlite_IsAStudyThatASecondRunContinues()
    {
        string db = temp.File("studies.db");
        string[] args = ["--framework", "ignite", "--storage", "sqlite:///" + db, "--study", "mlp", "--sampler", "random", .. Small, "--json"];
        var first = Tune(["--trials", "2", .. args]);
        Assert.True(first.ExitCode == 0, first.Error);
        var second = Tune(["--trials", "1", .. args]);
        Assert.True(second.ExitCode == 0, second.Error);

        Assert.Equal(["studies.db"], temp.FileNames().Where(n => !n.EndsWith("-wal") && !n.EndsWith("-shm")));
        var json = second.Json();
        Assert.Equal([0, 1, 2], json.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("number").GetInt32()));
        // What the file holds, read through the library: the trials the JSON reports, with the same values.
        using var storage = StorageUri.Open("sqlite:///" + db);
        var study = Study.Load("mlp", storage);
        Assert.Equal(StudyDirection.Maximize, study.Direction);
        Assert.Equal(json.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("value").GetDouble()), study.Trials.Select(t => t.Value!.Value));
        Assert.Equal(json.GetProperty("best").GetProperty("number").GetInt32(), study.BestTrial.Number);
        Assert.All(study.Trials, t => Assert.Equal([1], t.IntermediateValues.Keys)); // the Ignite handler reports at the trainer's epoch (from 1)
    }

    [Fact]
    public void TwoRunsOnOneRedisStudy_ShareItsNumbering_AndItsBestTrial()
    {
        using var redis = new RedisServer();
        string[] args = ["--storage", redis.Uri(db: 2), "--study", "shared", .. Small, "--json"];
        var first = Tune(["--trials", "2", "--seed", "1", .. args]);
        Assert.True(first.ExitCode == 0, first.Error);
        var second = Tune(["--trials", "2", "--seed", "2", .. args]);
        Assert.True(second.ExitCode == 0, second.Error);

        var json = second.Json();
        Assert.Equal([0, 1, 2, 3], json.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("number").GetInt32()));
        // The first run's trials, as it reported them, are in the shared study.
        Assert.Equal(first.Json().GetProperty("trials").GetRawText(), new System.Text.Json.Nodes.JsonArray(
            json.GetProperty("trials").EnumerateArray().Take(2).Select(t => System.Text.Json.Nodes.JsonNode.Parse(t.GetRawText())).ToArray()).ToJsonString());
        using var storage = StorageUri.Open(redis.Uri(db: 2));
        Assert.Equal(json.GetProperty("best").GetProperty("number").GetInt32(), Study.Load("shared", storage).BestTrial.Number);
    }

    [Theory]
    [InlineData("lightning")]
    [InlineData("ignite")]
    public void MedianPruning_StopsTrialsBelowTheMedian_AndCountsTheEpochsSaved(string framework)
    {
        var run = Tune("--framework", framework, "--trials", "8", "--epochs", "3", "--limit-train-batches", "4", "--threads", "1", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        var trials = json.GetProperty("trials").EnumerateArray().ToArray();
        Assert.All(trials.Take(5), t => Assert.Equal("COMPLETE", t.GetProperty("state").GetString())); // Optuna's 5 start-up trials
        Assert.All(trials.Where(t => t.GetProperty("state").GetString() == "COMPLETE"), t => Assert.Equal(3, t.GetProperty("epochs").GetInt32()));
        // Seed 42 samples two slow learners among trials 5..7 (lr 6e-4 with batch 128, lr 3e-4): both front-ends stop them after one epoch.
        var pruned = trials.Where(t => t.GetProperty("state").GetString() == "PRUNED").ToArray();
        Assert.Equal([5, 7], pruned.Select(t => t.GetProperty("number").GetInt32()));
        Assert.All(pruned, t => Assert.Equal(1, t.GetProperty("epochs").GetInt32()));
        Assert.Equal(trials.Sum(t => t.GetProperty("epochs").GetInt32()), json.GetProperty("epochs_trained").GetInt32());
        Assert.Equal(24, json.GetProperty("epoch_budget").GetInt32());
        Assert.Equal(20, json.GetProperty("epochs_trained").GetInt32());
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static TheoryData<string, string[], string> BadInputs => new()
    {
        { "unknown framework", ["--framework", "keras"], "--framework 'keras' is not known; use one of: lightning, ignite." },
        { "unknown sampler", ["--sampler", "cmaes"], "--sampler 'cmaes' is not known; use one of: tpe, random." },
        { "unknown pruner", ["--pruner", "hyperband"], "--pruner 'hyperband' is not known; use one of: median, none." },
        { "unknown monitor", ["--monitor", "accuracy"], "--monitor 'accuracy' is not known; use one of: val_accuracy, val_loss." },
        { "zero trials", ["--trials", "0"], "--trials must be a positive integer; got 0." },
        { "negative trials", ["--trials", "-3"], "--trials must be a positive integer; got -3." },
        { "zero epochs", ["--epochs", "0"], "--epochs must be a positive integer; got 0." },
        { "empty study name", ["--study", " "], "--study must name the study" },
        { "unknown storage scheme", ["--storage", "postgresql://localhost/db"], "--storage: Unknown storage scheme 'postgresql' in 'postgresql://localhost/db': use sqlite:///PATH.db, redis://HOST:PORT/DB or memory." },
        { "a path instead of a URI", ["--storage", "{tmp}/s.db"], "--storage: Unknown storage scheme ''" },
        { "sqlite with two slashes", ["--storage", "sqlite://s.db"], "--storage: A SQLite storage is sqlite:///PATH.db" },
        { "redis port out of range", ["--storage", "redis://localhost:70000/0"], "must be a number from 1 to 65535" },
        { "unreachable redis", ["--storage", "redis://127.0.0.1:{port}/0"], "--storage: No Redis server answered at 127.0.0.1:{port} within 5 s" },
        { "a text file as sqlite", ["--storage", "sqlite:///{tmp}/notes.db"], "--storage: '{tmp}/notes.db' is not a SQLite database" },
        { "sqlite in a missing folder", ["--storage", "sqlite:///{tmp}/missing/s.db"], "--storage: Cannot create the SQLite file '{tmp}/missing/s.db': its folder '{tmp}/missing' does not exist" },
        { "study with the other direction", ["--storage", "sqlite:///{tmp}/max.db", "--study", "s", "--monitor", "val_loss"], "exists with direction Maximize, not Minimize: pass direction Maximize or choose another study name. (--monitor val_accuracy maximises, val_loss minimises)" },
        { "plots into a file", ["--plots", "{tmp}/notes.db"], "--plots '{tmp}/notes.db' is a file" },
        { "zero batch limit", ["--limit-train-batches", "0"], "--limit-train-batches must be a positive integer" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_ExitsWith2_OnOneLine_BeforeAnyTrial_AndLeavesFilesAsTheyWere(string name, string[] args, string fragment)
    {
        File.WriteAllText(temp.File("notes.db"), "my notes, not a database\n");
        using (var storage = StorageUri.Open("sqlite:///" + temp.File("max.db")))
            Study.Create("s", StudyDirection.Maximize, storage: storage);
        byte[] maxBefore = File.ReadAllBytes(temp.File("max.db"));
        string port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Expand(string text) => text.Replace("{tmp}", temp.Path).Replace("{port}", port);

        // The small defaults, except the flags the case sets itself.
        string[] defaults = ["--trials", "1", .. Small];
        var kept = defaults.Chunk(2).Where(pair => !args.Contains(pair[0])).SelectMany(pair => pair);
        var run = Tune([.. kept, .. args.Select(Expand)]);

        Assert.True(run.ExitCode == 2, $"{name}: exit {run.ExitCode}\n{run.Error}");
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(Expand(fragment), lines[0]);
        Assert.DoesNotContain("trial 0", run.Output);
        Assert.Equal("my notes, not a database\n", File.ReadAllText(temp.File("notes.db")));
        Assert.Equal(maxBefore, File.ReadAllBytes(temp.File("max.db")));
        Assert.DoesNotContain("s.db", temp.FileNames());
    }
}
