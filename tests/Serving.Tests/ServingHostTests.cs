using System.Text.Json;
using TorchSharp;
using Unified.Core.Export;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Serving.Tests;

/// <summary>The host on a loopback port (real Kestrel, real HTTP) serving models from <c>unified fit</c> + <c>unified export</c>.</summary>
[Collection(TorchCollection.Name)]
public sealed class ServingHostTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    static float[][] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
    }

    // What the model itself answers: TorchSharp's forward on the checkpoint's weights, argmax and softmax probability.
    (int[] Predictions, double[] Confidences) Expected(string model, float[][] rows)
    {
        using var network = CheckpointModel.Load(models.Checkpoint(model), model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, .. CheckpointModel.SampleShape(model)]);
        var probabilities = nn.functional.softmax(network.call(input), 1);
        var (values, indices) = probabilities.max(1);
        return (indices.data<long>().Select(i => (int)i).ToArray(), values.data<float>().Select(v => (double)v).ToArray());
    }

    static void AssertAnswers((int[] Predictions, double[] Confidences) expected, JsonElement json)
    {
        Assert.Equal(expected.Predictions, json.GetProperty("predictions").EnumerateArray().Select(p => p.GetInt32()));
        var confidences = json.GetProperty("confidences").EnumerateArray().Select(c => c.GetDouble()).ToArray();
        Assert.Equal(expected.Confidences.Length, confidences.Length);
        for (int i = 0; i < confidences.Length; i++) Assert.True(Math.Abs(confidences[i] - expected.Confidences[i]) <= 1e-5, $"row {i}: {confidences[i]} vs {expected.Confidences[i]}");
    }

    [Theory]
    [InlineData("mlp", false, true)]
    [InlineData("mlp", false, false)]
    [InlineData("cnn", false, true)]
    [InlineData("cnn", true, true)]
    public async Task Predict_AnswersWhatTheModelAnswers(string model, bool checkpoint, bool batching)
    {
        await using var host = await ServingHost.StartAsync(new ServingOptions
        {
            ModelPath = checkpoint ? models.Checkpoint(model) : models.Onnx(model),
            Architecture = checkpoint ? model : null,
            Port = 0,
            Batching = batching,
        });
        using var client = ServingClient.For(host);
        var rows = Rows(7, seed: 3);

        var (status, contentType, json) = await ServingClient.PostAsync(client, ServingClient.Body(rows));

        Assert.Equal(200, status);
        Assert.Equal("application/json", contentType);
        AssertAnswers(Expected(model, rows), json);
        Assert.StartsWith("http://127.0.0.1:", host.Address.ToString());
    }

    [Fact]
    public async Task ConcurrentRequests_AreMicroBatched_AndEachGetsItsOwnRows()
    {
        // The batch runs as soon as it holds 8 rows; the 10 s delay bound only has to outlast the requests' arrival.
        await using var host = await ServingHost.StartAsync(new ServingOptions
        {
            ModelPath = models.Onnx("mlp"), Port = 0, MaxBatchSize = 8, MaxBatchDelay = TimeSpan.FromSeconds(10),
        });
        using var client = ServingClient.For(host);
        var requests = Enumerable.Range(0, 4).Select(i => Rows(2, seed: 10 + i)).ToArray();

        var answers = await Task.WhenAll(requests.Select(rows => ServingClient.PostAsync(client, ServingClient.Body(rows))));

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            AssertAnswers(Expected("mlp", requests[i]), answers[i].Json);
        }
        string metrics = await client.GetStringAsync("metrics");
        Assert.Contains("unified_serving_batch_size_count 1", metrics);
        Assert.Contains("unified_serving_batch_size_sum 8", metrics);
        Assert.Contains("unified_serving_requests_total{endpoint=\"/predict\",status=\"200\"} 4", metrics);
    }

    public static TheoryData<string, string?, string, string> BadInputs() => new()
    {
        { "wrong content type", "text/plain", Body(1), "wrong-content-type" },
        { "no content type", null, Body(1), "wrong-content-type" },
        { "empty body", "application/json", "", "empty-body" },
        { "malformed JSON", "application/json", "{\"data\": [[1, 2", "malformed-json" },
        { "unquoted NaN", "application/json", "{\"data\": [[NaN]]}", "malformed-json" },
        { "trailing garbage", "application/json", Body(1) + "x", "malformed-json" },
        { "not an object", "application/json", "[[1, 2]]", "wrong-shape" },
        { "no data", "application/json", "{\"rows\": []}", "wrong-shape" },
        { "data not an array", "application/json", "{\"data\": 3}", "wrong-shape" },
        { "row not an array", "application/json", "{\"data\": [3]}", "wrong-shape" },
        { "short row", "application/json", "{\"data\": [[1, 2, 3]]}", "wrong-shape" },
        { "long row", "application/json", "{\"data\": [[" + string.Join(",", Enumerable.Repeat("0", 785)) + "]]}", "wrong-shape" },
        { "string value", "application/json", "{\"data\": [[\"NaN\"" + string.Concat(Enumerable.Repeat(",0", 783)) + "]]}", "wrong-type" },
        { "null value", "application/json", "{\"data\": [[null" + string.Concat(Enumerable.Repeat(",0", 783)) + "]]}", "wrong-type" },
        { "overflows float32 (Inf)", "application/json", "{\"data\": [[1e39" + string.Concat(Enumerable.Repeat(",0", 783)) + "]]}", "not-finite" },
        { "no rows", "application/json", "{\"data\": []}", "empty-data" },
        { "too many rows", "application/json", Body(5), "too-many-rows" },
        { "oversized payload", "application/json", Body(1) + new string(' ', 70_000), "payload-too-large" },
    };

    static string Body(int rows) => ServingClient.Body(Rows(rows, seed: 1));

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_Is400ProblemDetails_NamingTheProblem(string what, string? contentType, string body, string kind)
    {
        await using var host = await ServingHost.StartAsync(new ServingOptions { ModelPath = models.Onnx("mlp"), Port = 0, MaxRows = 4, MaxRequestBytes = 64_000 });
        using var client = ServingClient.For(host);

        var (status, type, json) = await ServingClient.PostAsync(client, body, contentType);

        Assert.True(status == 400, $"{what}: {status} {json}");
        Assert.Equal("application/problem+json", type);
        Assert.Equal(400, json.GetProperty("status").GetInt32());
        Assert.Equal(kind, json.GetProperty("kind").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        Assert.Contains($"unified_serving_errors_total{{kind=\"{kind}\"}} 1", await client.GetStringAsync("metrics"));
        // The server keeps answering after a bad request.
        Assert.Equal(200, (await ServingClient.PostAsync(client, Body(1))).Status);
    }

    [Fact]
    public async Task Health_Metrics_AndOpenApi_AreServed()
    {
        await using var host = await ServingHost.StartAsync(new ServingOptions { ModelPath = models.Onnx("cnn"), Port = 0 });
        using var client = ServingClient.For(host);

        var health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("ready").GetBoolean());
        Assert.Equal("[1,28,28]", health.GetProperty("sample_shape").GetRawText());
        Assert.Equal(200, (int)(await client.GetAsync("health/live")).StatusCode);
        Assert.Equal(200, (int)(await client.GetAsync("health/ready")).StatusCode);

        using var metrics = await client.GetAsync("metrics");
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        string text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE unified_serving_request_duration_seconds histogram", text);
        Assert.Contains("unified_serving_requests_total{endpoint=\"/health\",status=\"200\"} 1", text);

        var openApi = JsonDocument.Parse(await client.GetStringAsync("openapi/v1.json")).RootElement;
        var predict = openApi.GetProperty("paths").GetProperty("/predict").GetProperty("post");
        Assert.True(predict.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(predict.GetProperty("responses").TryGetProperty("400", out _));

        using var missing = await client.GetAsync("nope");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Stop_AnswersTheRequestInFlight_BeforeReleasingTheModel()
    {
        // A lone request waits in the batcher for the full delay, so it is in flight when the stop begins.
        await using var host = await ServingHost.StartAsync(new ServingOptions
        {
            ModelPath = models.Onnx("mlp"), Port = 0, MaxBatchSize = 64, MaxBatchDelay = TimeSpan.FromSeconds(3),
        });
        using var client = ServingClient.For(host);
        var rows = Rows(1, seed: 5);
        var pending = ServingClient.PostAsync(client, ServingClient.Body(rows));
        using (var probe = ServingClient.For(host))
            for (int i = 0; i < 300 && !(await probe.GetStringAsync("metrics")).Contains("unified_serving_requests_in_flight 1"); i++)
                await Task.Delay(10);

        await host.StopAsync();

        var (status, _, json) = await pending;
        Assert.Equal(200, status);
        AssertAnswers(Expected("mlp", rows), json);
    }

    [Fact]
    public async Task CheckpointWithoutArchitecture_IsRefusedSayingWhatToPass()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ServingHost.StartAsync(new ServingOptions { ModelPath = models.Checkpoint("mlp"), Port = 0 }));
        Assert.Contains("needs its architecture (mlp or cnn)", e.Message);
    }
}
