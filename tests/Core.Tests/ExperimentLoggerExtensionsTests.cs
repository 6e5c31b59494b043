using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class ExperimentLoggerExtensionsTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void LogMetrics_WithScalarTensors_LogsTheirValues()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" });
        using var loss = tensor(0.25f);
        using var accuracy = tensor(new[] { 0.5 });
        csv.LogMetrics(new Dictionary<string, Tensor> { ["loss"] = loss, ["acc"] = accuracy }, 3);
        csv.Finish(RunStatus.Success);

        Assert.Equal("acc,loss,step\r\n0.5,0.25,3\r\n", File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void LogMetrics_WithANonScalarTensor_ThrowsNamingItAndItsShape()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        using var batch = zeros(4, 2);

        var error = Assert.Throws<ArgumentException>(() => csv.LogMetrics(new Dictionary<string, Tensor> { ["per_sample_loss"] = batch }, 0));
        Assert.Contains("'per_sample_loss' has shape [4, 2]", error.Message);
        Assert.Contains(".mean()", error.Message);
    }
}
