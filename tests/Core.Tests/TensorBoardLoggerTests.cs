using System.Text.Json;
using Unified.Core.Logging;
using Unified.Core.Logging.TensorBoard;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class TensorBoardLoggerTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    TensorBoardLogger NewLogger(bool defaultHpMetric = true) =>
        new(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = "tb", DefaultHpMetric = defaultHpMetric });

    [Fact]
    public void EventFile_IsNamedAndStartedAsTensorBoardsWriterDoes()
    {
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using var tb = NewLogger();
        tb.Flush();

        Assert.Equal(Path.Combine(temp.Path, "tb", "version_0"), tb.LogDir);
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\.[^.]+(\.[^.]+)*\.\d+\.\d+$", Path.GetFileName(tb.EventFile));
        var first = TfEventReader.Read(tb.EventFile)[0];
        Assert.Equal("brain.Event:2", first.FileVersion);
        Assert.Equal(0, first.Step);
        Assert.InRange(first.WallTime, before - 1, before + 60);
    }

    [Fact]
    public void Scalars_ReadBackWithVerifiedCrcs_64BitSteps_AndUnixWallTimesWithFractions()
    {
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using (var tb = NewLogger())
        {
            for (int i = 0; i < 20; i++)
            {
                tb.LogMetrics(new Dictionary<string, double> { ["loss"] = 1.0 / (i + 1), ["acc"] = i / 20.0 }, 5_000_000_000L + i);
                Thread.Sleep(2);
            }
            tb.Finish(RunStatus.Success);
        }
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var events = TfEventReader.Read(Directory.GetFiles(Path.Combine(temp.Path, "tb", "version_0"), "events.out.tfevents.*").Single());
        var scalars = events.Where(e => e.Values.Any(v => v.SimpleValue is not null)).ToList();
        Assert.Equal(40, scalars.Count);
        var losses = scalars.Where(e => e.Values[0].Tag == "loss").ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 5_000_000_000L + i), losses.Select(e => e.Step));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)(1.0 / (i + 1))), losses.Select(e => e.Values[0].SimpleValue!.Value));
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 0.01, after + 0.01));
        Assert.Contains(events, e => e.WallTime != Math.Floor(e.WallTime));
        Assert.True(losses.Zip(losses.Skip(1)).All(p => p.Second.WallTime >= p.First.WallTime), "wall times go backwards");
        Assert.True(losses[^1].WallTime - losses[0].WallTime > 0.02, "wall times lack sub-second precision");
    }

    [Fact]
    public void Hyperparameters_AreThePluginsExperimentSessionStartAndEndSummaries()
    {
        using var tb = NewLogger();
        tb.LogHyperparameters(new Dictionary<string, object?>
        {
            ["lr"] = 0.001, ["model"] = "mlp", ["amsgrad"] = true, ["skip"] = null,
            ["optimizer"] = new Dictionary<string, object?> { ["beta1"] = 0.9 },
        });
        tb.Finish(RunStatus.Failed);

        var events = TfEventReader.Read(tb.EventFile);
        var hpMetric = events.Single(e => e.Values.Any(v => v.Tag == "hp_metric"));
        Assert.Equal(-1f, hpMetric.Values[0].SimpleValue);
        Assert.Equal(0, hpMetric.Step);
        var plugin = events.SelectMany(e => e.Values).Where(v => v.PluginName == "hparams").ToList();
        Assert.Equal(["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"], plugin.Select(v => v.Tag));

        // HParamsPluginData: version = 1, experiment = 2, session_start_info = 3, session_end_info = 4.
        var experiment = TfEventReader.Fields(TfEventReader.Fields(plugin[0].PluginContent!).Single(f => f.Field == 2).Bytes);
        var infos = experiment.Where(f => f.Field == 4).Select(f => TfEventReader.Fields(f.Bytes))
            .ToDictionary(i => TfEventReader.String(i, 1)!, i => (long)i.Where(f => f.Field == 4).Select(f => f.Bits).Single());
        Assert.Equal(new Dictionary<string, long> { ["lr"] = 3, ["model"] = 1, ["amsgrad"] = 2, ["optimizer/beta1"] = 3 }, infos);
        var metricInfo = TfEventReader.Fields(experiment.Single(f => f.Field == 5).Bytes);
        Assert.Equal("hp_metric", TfEventReader.String(TfEventReader.Fields(metricInfo.Single(f => f.Field == 1).Bytes), 2));

        var start = TfEventReader.Fields(TfEventReader.Fields(plugin[1].PluginContent!).Single(f => f.Field == 3).Bytes);
        var values = start.Where(f => f.Field == 1).Select(f => TfEventReader.Fields(f.Bytes))
            .ToDictionary(e => TfEventReader.String(e, 1)!, e => TfEventReader.Fields(e.Single(f => f.Field == 2).Bytes).Single());
        Assert.Equal((2, 0.001), (values["lr"].Field, BitConverter.Int64BitsToDouble((long)values["lr"].Bits)));
        Assert.Equal((3, "mlp"), (values["model"].Field, System.Text.Encoding.UTF8.GetString(values["model"].Bytes)));
        Assert.Equal((4, 1UL), (values["amsgrad"].Field, values["amsgrad"].Bits));
        Assert.False(values.ContainsKey("skip"));

        var end = TfEventReader.Fields(TfEventReader.Fields(plugin[2].PluginContent!).Single(f => f.Field == 4).Bytes);
        Assert.Equal(2UL, end.Single(f => f.Field == 1).Bits); // STATUS_FAILURE
        Assert.True(File.Exists(Path.Combine(tb.LogDir, "hparams.yaml")));
    }

    // PyTorch's SummaryWriter.close() drops its file writer and the next add_scalar opens a new event file in the same
    // log_dir; Lightning's TensorBoardLogger.finalize closes it at every stage's end (trainer/call.py _call_teardown_hook).
    [Fact]
    public void LogMetrics_AfterFinish_StartsANewEventFileInTheSameFolder_LeavingTheFirstAsItWas()
    {
        using var tb = NewLogger();
        tb.LogHyperparameters(new Dictionary<string, object?> { ["lr"] = 0.5 });
        tb.LogMetrics(new Dictionary<string, double> { ["train_loss"] = 1 }, 8);
        tb.Finish(RunStatus.Success);
        string first = tb.EventFile;
        long firstLength = new FileInfo(first).Length;

        tb.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25, ["epoch"] = 1 }, 8);
        tb.Finish(RunStatus.Success);

        Assert.NotEqual(first, tb.EventFile);
        Assert.Equal(2, Directory.GetFiles(tb.LogDir, "events.out.tfevents.*").Length);
        Assert.Equal(firstLength, new FileInfo(first).Length);
        var events = TfEventReader.Read(tb.EventFile);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Equal([("val_loss", 0.25f, 8L), ("epoch", 1f, 8L)], events.Skip(1).SelectMany(e => e.Values.Select(v => (v.Tag, v.SimpleValue!.Value, e.Step))));
        // The hparams session ended in the first file; the second has no second session end.
        Assert.Single(TfEventReader.Read(first).SelectMany(e => e.Values), v => v.Tag == "_hparams_/session_end_info");
    }

    [Fact]
    public void Histograms_KeepEveryValueInTheirBuckets()
    {
        using var tb = NewLogger();
        using var values = arange(0, 100, dtype: ScalarType.Float32).reshape(10, 10);
        tb.LogHistogram("weights/w", HistogramValues.FromTensor(values, bins: 10), 3);
        tb.Finish(RunStatus.Success);

        var histogram = TfEventReader.Read(tb.EventFile).SelectMany(e => e.Values).Single(v => v.Histogram is not null);
        Assert.Equal("weights/w", histogram.Tag);
        var h = histogram.Histogram!;
        Assert.Equal((0.0, 99.0, 100.0, 4950.0, 328350.0), (h.Min, h.Max, h.Num, h.Sum, h.SumSquares));
        Assert.Equal(11, h.BucketLimit.Length);
        Assert.Equal(0.0, h.BucketLimit[0]);
        Assert.Equal(99.0, h.BucketLimit[^1]);
        Assert.Equal(new double[] { 0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, h.Bucket);
    }

    [SkippableFact]
    public void PythonReader_DecodesTheSameEvents()
    {
        DebianPython.SkipUnlessAvailable("google.protobuf");
        using (var tb = NewLogger())
        {
            tb.LogHyperparameters(new Dictionary<string, object?> { ["lr"] = 0.5, ["model"] = "cnn", ["amsgrad"] = false });
            tb.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.125 }, 7_000_000_000L);
            using var values = tensor(new float[] { 1, 2, 2, 3 });
            tb.LogHistogram("weights/b", HistogramValues.FromTensor(values, bins: 2), 9);
            tb.Finish(RunStatus.Success);
        }

        var (code, output, error) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "read_tfevents.py"), Path.Combine(temp.Path, "tb"));

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("brain.Event:2", lines[0].GetProperty("file_version").GetString());
        var scalar = lines.Single(l => l.TryGetProperty("scalars", out var s) && s.TryGetProperty("val_loss", out _));
        Assert.Equal(7_000_000_000L, scalar.GetProperty("step").GetInt64());
        Assert.Equal(0.125, scalar.GetProperty("scalars").GetProperty("val_loss").GetDouble());
        var hparams = lines.Where(l => l.TryGetProperty("hparams", out _)).Select(l => l.GetProperty("hparams")).ToList();
        var session = hparams.Single(h => h.TryGetProperty("_hparams_/session_start_info", out _)).GetProperty("_hparams_/session_start_info").GetProperty("hparams");
        Assert.Equal(0.5, session.GetProperty("lr").GetDouble());
        Assert.Equal("cnn", session.GetProperty("model").GetString());
        Assert.False(session.GetProperty("amsgrad").GetBoolean());
        Assert.Equal(1, hparams.Single(h => h.TryGetProperty("_hparams_/session_end_info", out _))
            .GetProperty("_hparams_/session_end_info").GetProperty("status").GetInt32());
        var histogram = lines.Single(l => l.TryGetProperty("histograms", out _)).GetProperty("histograms").GetProperty("weights/b");
        Assert.Equal([0.0, 1.0, 3.0], histogram.GetProperty("bucket").EnumerateArray().Select(e => e.GetDouble()));
        Assert.All(lines, l => Assert.True(l.GetProperty("wall_time").GetDouble() > 1.6e9));
    }

    [SkippableFact]
    public void PythonReader_RejectsACorruptedRecord()
    {
        DebianPython.SkipUnlessAvailable("google.protobuf");
        string file;
        using (var tb = NewLogger())
        {
            tb.LogMetrics(new Dictionary<string, double> { ["x"] = 1 }, 1);
            file = tb.EventFile;
        }
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^6] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        var (code, _, error) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "read_tfevents.py"), file);
        Assert.Equal(1, code);
        Assert.Contains("CRC mismatch", error);
        Assert.Throws<InvalidDataException>(() => TfEventReader.Read(file));
    }

    [Fact]
    public void Constructor_WithAFolderThatCannotBeCreated_ThrowsNamingIt()
    {
        string file = temp.File("plain-file");
        File.WriteAllText(file, "");

        var error = Assert.Throws<IOException>(() => new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = file }));
        Assert.Contains("tensorboard logger cannot write to", error.Message);
    }

    [Fact]
    public void Crc32C_MatchesTheStandardCheckValue()
    {
        // CRC-32C("123456789") = 0xE3069283 (RFC 3720); the writer's hardware path and the reader's table agree.
        byte[] check = "123456789"u8.ToArray();
        Assert.Equal(0xE3069283u, Unified.Core.Logging.TensorBoard.TfRecord.Crc32C(check));
        uint crc = 0xE3069283u;
        Assert.Equal(unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u), TfEventReader.MaskedCrc(check));
    }
}
