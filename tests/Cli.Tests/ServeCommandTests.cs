using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary><c>unified serve</c> as a child process: the listening line, real HTTP, and SIGTERM finishing the request in flight.</summary>
[Collection(TorchCollection.Name)]
public sealed class ServeCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-serve-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    static async Task<string> WaitForListeningAsync(ChildFit child)
    {
        for (int i = 0; i < 3000; i++)
        {
            var line = child.Output.Split('\n').FirstOrDefault(l => l.StartsWith("listening on ", StringComparison.Ordinal));
            if (line is not null) return line.TrimEnd('\r');
            Assert.False(child.HasExited, $"unified serve exited before listening:\n{child.Error}");
            await Task.Delay(20);
        }
        throw new TimeoutException($"unified serve printed no listening line within 60 s:\n{child.Error}");
    }

    [Fact]
    public async Task Serve_PrintsTheListeningLine_AndSigtermAnswersTheRequestInFlightThenExits0()
    {
        string run = Path.Combine(temp, "run"), onnx = Path.Combine(temp, "mlp.onnx");
        Assert.Equal(0, CliRun.Of("fit", "--epochs", "1", "--max-steps", "5", "--threads", "1", "--run-dir", run).ExitCode);
        Assert.Equal(0, CliRun.Of("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", onnx).ExitCode);
        // A lone request waits 3 s in the batcher for company, so it is in flight when SIGTERM arrives.
        using var child = ChildFit.Start(["serve", "--model", onnx, "--port", "0", "--max-batch-delay-ms", "3000"]);

        string line = await WaitForListeningAsync(child);
        Assert.Matches(@"^listening on http://127\.0\.0\.1:\d+$", line);
        using var client = new HttpClient { BaseAddress = new Uri(line["listening on ".Length..] + "/"), Timeout = TimeSpan.FromSeconds(60) };
        using var content = new StringContent(JsonSerializer.Serialize(new { data = new[] { new float[784] } }), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var pending = client.PostAsync("predict", content);
        for (int i = 0; i < 300 && !(await client.GetStringAsync("metrics")).Contains("unified_serving_requests_in_flight 1"); i++) await Task.Delay(10);

        child.Signal(15);

        using var response = await pending;
        Assert.Equal(200, (int)response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, answer.GetProperty("predictions").GetArrayLength());
        Assert.Equal(0, child.WaitForExit(TimeSpan.FromSeconds(60)));
    }

    [Theory]
    [InlineData("missing.onnx", null, "does not exist")]
    [InlineData("model.onnx", "resnet", "Unknown --arch 'resnet'")]
    public void BadArguments_AreUsageErrors(string model, string? arch, string message)
    {
        File.WriteAllText(Path.Combine(temp, "model.onnx"), "not a model");
        string[] args = arch is null ? ["serve", "--model", Path.Combine(temp, model)] : ["serve", "--model", Path.Combine(temp, model), "--arch", arch];

        var run = CliRun.Of(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error);
    }
}
