using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Unified.Core.Tests;

/// <summary>
/// A real HTTP server on loopback that implements the MLflow tracking REST API 2.0 endpoints the logger uses, with
/// the documented request and response shapes, and checks every request: method, content type, field names and
/// types, required fields, and <c>runs/log-batch</c>'s limits. A request that breaks the contract gets MLflow's
/// <c>400 INVALID_PARAMETER_VALUE</c> and is recorded in <see cref="Violations"/>.
/// </summary>
public sealed class MlflowTestServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Task loop;
    readonly object gate = new();
    int nextExperiment = 1;

    public MlflowTestServer()
    {
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(Serve);
    }

    public int Port { get; }

    public string Uri => $"http://127.0.0.1:{Port}";

    /// <summary>Requests in arrival order: "METHOD endpoint".</summary>
    public List<string> Requests { get; } = [];

    /// <summary>Contract violations found in requests (tests assert this stays empty).</summary>
    public List<string> Violations { get; } = [];

    public Dictionary<string, string> Experiments { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Run> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>Answer the next this many requests with 503 (a server restarting).</summary>
    public int FailNext { get; set; }

    /// <summary>Wait this long before answering (a slow server).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Refuse every log-batch with 400 (e.g. a param changed).</summary>
    public bool RejectLogBatch { get; set; }

    /// <summary>The sizes (metrics, params, tags) of every log-batch request received.</summary>
    public List<(int Metrics, int Params, int Tags)> Batches { get; } = [];

    public sealed class Run(string id, string experimentId, long startTime)
    {
        public string Id { get; } = id;
        public string ExperimentId { get; } = experimentId;
        public long StartTime { get; } = startTime;
        public string Status { get; set; } = "RUNNING";
        public long? EndTime { get; set; }
        public string? Name { get; set; }
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
        public List<(string Key, double Value, long Timestamp, long Step)> Metrics { get; } = [];
    }

    static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Handle(context));
        }
    }

    async Task Handle(HttpListenerContext context)
    {
        var request = context.Request;
        string path = request.Url!.AbsolutePath;
        const string prefix = "/api/2.0/mlflow/";
        string endpoint = path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path;
        string body = await new StreamReader(request.InputStream, Encoding.UTF8).ReadToEndAsync();
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
        int status;
        string answer;
        lock (gate)
        {
            Requests.Add($"{request.HttpMethod} {endpoint}");
            if (FailNext > 0)
            {
                FailNext--;
                (status, answer) = (503, """{"error_code":"TEMPORARILY_UNAVAILABLE","message":"restarting"}""");
            }
            else
            {
                try
                {
                    (status, answer) = Dispatch(request.HttpMethod, endpoint, request, body);
                }
                catch (ContractException e)
                {
                    Violations.Add($"{endpoint}: {e.Message}");
                    (status, answer) = (400, Error("INVALID_PARAMETER_VALUE", e.Message));
                }
            }
        }
        try
        {
            byte[] bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client gave up (timeout test) or the server is stopping.
        }
    }

    (int, string) Dispatch(string method, string endpoint, HttpListenerRequest request, string body)
    {
        switch (endpoint)
        {
            case "experiments/get-by-name":
            {
                Require(method == "GET", $"expected GET, got {method}");
                string? name = request.QueryString["experiment_name"];
                Require(!string.IsNullOrEmpty(name), "experiment_name is required");
                return Experiments.TryGetValue(name!, out var id)
                    ? (200, JsonSerializer.Serialize(new { experiment = new { experiment_id = id, name, artifact_location = $"mlflow-artifacts:/{id}", lifecycle_stage = "active", last_update_time = 1700000000000, creation_time = 1700000000000, tags = System.Array.Empty<object>() } }))
                    : (404, Error("RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'"));
            }
            case "experiments/create":
            {
                var json = Post(method, request, body, "name", "artifact_location", "tags");
                string name = RequiredString(json, "name");
                if (Experiments.ContainsKey(name)) return (400, Error("RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists."));
                string id = (nextExperiment++).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Experiments[name] = id;
                return (200, $$"""{"experiment_id":"{{id}}"}""");
            }
            case "runs/create":
            {
                var json = Post(method, request, body, "experiment_id", "user_id", "run_name", "start_time", "tags");
                string experimentId = RequiredString(json, "experiment_id");
                Require(Experiments.ContainsValue(experimentId), $"experiment {experimentId} does not exist");
                long start = json.TryGetProperty("start_time", out var s) ? Int64(s, "start_time") : 0;
                var run = new Run(Guid.NewGuid().ToString("N"), experimentId, start);
                if (json.TryGetProperty("run_name", out var runName)) run.Name = String(runName, "run_name");
                foreach (var (key, value) in Pairs(json, "tags")) run.Tags[key] = value;
                Runs[run.Id] = run;
                return (200, JsonSerializer.Serialize(new { run = new { info = new { run_id = run.Id, run_uuid = run.Id, experiment_id = experimentId, run_name = run.Name ?? "cheerful-owl-1", user_id = "", status = "RUNNING", start_time = start, artifact_uri = $"mlflow-artifacts:/{experimentId}/{run.Id}/artifacts", lifecycle_stage = "active" }, data = new { metrics = System.Array.Empty<object>(), @params = System.Array.Empty<object>(), tags = System.Array.Empty<object>() }, inputs = new { } } }));
            }
            case "runs/log-batch":
            {
                var json = Post(method, request, body, "run_id", "metrics", "params", "tags");
                var run = ExistingRun(RequiredString(json, "run_id"));
                var metrics = Array(json, "metrics");
                var @params = Pairs(json, "params");
                var tags = Pairs(json, "tags");
                Batches.Add((metrics.Count, @params.Count, tags.Count));
                // MLflow's documented limits for one request.
                Require(metrics.Count <= 1000, $"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics.");
                Require(@params.Count <= 100, $"A batch logging request can contain at most 100 params. Got {@params.Count} params.");
                Require(tags.Count <= 100, $"A batch logging request can contain at most 100 tags. Got {tags.Count} tags.");
                Require(metrics.Count + @params.Count + tags.Count <= 1000, "A batch logging request can contain at most 1000 metrics, params and tags in total.");
                var parsed = metrics.Select(Metric).ToList();
                if (RejectLogBatch) return (400, Error("INVALID_PARAMETER_VALUE", "Changing param values is not allowed."));
                foreach (var (key, value) in @params)
                {
                    if (run.Params.TryGetValue(key, out var old) && old != value)
                        return (400, Error("INVALID_PARAMETER_VALUE", $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}'."));
                    run.Params[key] = value;
                }
                foreach (var (key, value) in tags) run.Tags[key] = value;
                run.Metrics.AddRange(parsed);
                return (200, "{}");
            }
            case "runs/update":
            {
                var json = Post(method, request, body, "run_id", "run_uuid", "status", "end_time", "run_name");
                var run = ExistingRun(json.TryGetProperty("run_id", out _) ? RequiredString(json, "run_id") : RequiredString(json, "run_uuid"));
                if (json.TryGetProperty("status", out var st))
                {
                    string value = String(st, "status");
                    Require(value is "RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED", $"status '{value}' is not a RunStatus");
                    run.Status = value;
                }
                if (json.TryGetProperty("end_time", out var end)) run.EndTime = Int64(end, "end_time");
                return (200, JsonSerializer.Serialize(new { run_info = new { run_id = run.Id, run_uuid = run.Id, experiment_id = run.ExperimentId, status = run.Status, start_time = run.StartTime, end_time = run.EndTime ?? 0, lifecycle_stage = "active" } }));
            }
            default:
                Violations.Add($"unknown endpoint {method} {endpoint}");
                return (404, Error("ENDPOINT_NOT_FOUND", $"No API endpoint {endpoint}"));
        }
    }

    static string Error(string code, string message) => JsonSerializer.Serialize(new Dictionary<string, string> { ["error_code"] = code, ["message"] = message });

    static JsonElement Post(string method, HttpListenerRequest request, string body, params string[] allowed)
    {
        Require(method == "POST", $"expected POST, got {method}");
        Require(request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, $"content type must be application/json, got '{request.ContentType}'");
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ContractException("body is not JSON: " + e.Message);
        }
        Require(json.ValueKind == JsonValueKind.Object, "body must be a JSON object");
        foreach (var property in json.EnumerateObject())
            Require(allowed.Contains(property.Name), $"unknown field '{property.Name}'");
        return json;
    }

    Run ExistingRun(string id) => Runs.TryGetValue(id, out var run) ? run : throw new ContractException($"run {id} does not exist");

    static string RequiredString(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) ? String(value, name) : throw new ContractException($"{name} is required");

    static string String(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new ContractException($"{name} must be a string, got {value.ValueKind}");

    static long Int64(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) ? n
        : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), out n) ? n
        : throw new ContractException($"{name} must be an int64, got {value.GetRawText()}");

    static List<JsonElement> Array(JsonElement json, string name)
    {
        if (!json.TryGetProperty(name, out var value)) return [];
        Require(value.ValueKind == JsonValueKind.Array, $"{name} must be an array");
        return value.EnumerateArray().ToList();
    }

    static List<(string Key, string Value)> Pairs(JsonElement json, string name) =>
        Array(json, name).Select(item =>
        {
            Require(item.ValueKind == JsonValueKind.Object, $"{name} entries must be objects");
            foreach (var p in item.EnumerateObject()) Require(p.Name is "key" or "value", $"unknown field '{p.Name}' in {name}");
            string key = RequiredString(item, "key");
            Require(key.Length is > 0 and <= 250, $"{name} key must have 1 to 250 characters");
            string value = RequiredString(item, "value");
            Require(value.Length <= (name == "params" ? 6000 : 8000), $"{name} value '{key}' is too long");
            return (key, value);
        }).ToList();

    static (string, double, long, long) Metric(JsonElement item)
    {
        Require(item.ValueKind == JsonValueKind.Object, "metrics entries must be objects");
        foreach (var p in item.EnumerateObject()) Require(p.Name is "key" or "value" or "timestamp" or "step", $"unknown field '{p.Name}' in metrics");
        string key = RequiredString(item, "key");
        Require(item.TryGetProperty("value", out var v), $"metric {key} has no value");
        double value = v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : v.ValueKind == JsonValueKind.String && v.GetString() is "NaN" or "Infinity" or "-Infinity"
                ? double.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                : throw new ContractException($"metric {key} value must be a double, got {v.GetRawText()}");
        Require(item.TryGetProperty("timestamp", out var t), $"metric {key} has no timestamp");
        long timestamp = Int64(t, "timestamp");
        long step = item.TryGetProperty("step", out var s) ? Int64(s, "step") : 0;
        return (key, value, timestamp, step);
    }

    static void Require(bool condition, string message)
    {
        if (!condition) throw new ContractException(message);
    }

    sealed class ContractException(string message) : Exception(message);

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
