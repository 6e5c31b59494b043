using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Unified.Core.Logging.Mlflow;

/// <summary>
/// The MLflow tracking REST API 2.0 over <see cref="HttpClient"/>, synchronously (the training loop waits anyway),
/// with a timeout per request and bounded retries with exponential back-off.
/// </summary>
internal sealed class MlflowClient : IDisposable
{
    static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
    readonly HttpClient http;
    readonly int maxAttempts;
    readonly TimeSpan initialBackoff;

    public MlflowClient(Uri trackingUri, TimeSpan timeout, int maxAttempts, TimeSpan initialBackoff)
    {
        (this.maxAttempts, this.initialBackoff) = (maxAttempts, initialBackoff);
        string root = trackingUri.AbsoluteUri.TrimEnd('/') + "/api/2.0/mlflow/";
        http = new HttpClient { BaseAddress = new Uri(root), Timeout = timeout };
        // The same credentials the Python client reads.
        if (Environment.GetEnvironmentVariable("MLFLOW_TRACKING_TOKEN") is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (Environment.GetEnvironmentVariable("MLFLOW_TRACKING_USERNAME") is { Length: > 0 } user)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + Environment.GetEnvironmentVariable("MLFLOW_TRACKING_PASSWORD"))));
    }

    /// <summary>GET <paramref name="endpoint"/> with query <paramref name="query"/> (already escaped).</summary>
    public MlflowResponse Get(string endpoint, string query) => Send(HttpMethod.Get, endpoint + "?" + query, null);

    /// <summary>POST <paramref name="endpoint"/> with a JSON body written by <paramref name="body"/>.</summary>
    public MlflowResponse Post(string endpoint, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Send(HttpMethod.Post, endpoint, stream.ToArray());
    }

    MlflowResponse Send(HttpMethod method, string path, byte[]? json)
    {
        string failure = "";
        int status = 0;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(method, path);
                if (json is not null) request.Content = new ByteArrayContent(json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
                using var response = http.Send(request);
                status = (int)response.StatusCode;
                using var stream = response.Content.ReadAsStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                string text = reader.ReadToEnd();
                JsonElement body = Parse(text);
                if (response.IsSuccessStatusCode) return new(MlflowOutcome.Ok, status, body, "", "", attempt);
                string code = body.TryGetProperty("error_code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
                string message = body.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : Trim(text);
                if (status != 429 && status < 500) return new(MlflowOutcome.Rejected, status, body, code, message, attempt);
                failure = $"HTTP {status} {code} {message}".TrimEnd();
            }
            catch (HttpRequestException e)
            {
                failure = e.InnerException?.Message ?? e.Message;
            }
            catch (TaskCanceledException)
            {
                failure = $"no answer within {http.Timeout.TotalSeconds:0.#} s";
            }
            if (attempt >= maxAttempts) return new(MlflowOutcome.Unavailable, status, EmptyObject, "", failure, attempt);
            Thread.Sleep(initialBackoff * Math.Pow(2, attempt - 1));
        }
    }

    static JsonElement Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return EmptyObject;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : EmptyObject;
        }
        catch (JsonException)
        {
            return EmptyObject;
        }
    }

    static string Trim(string text) => text.Length > 200 ? text[..200] + "…" : text;

    public void Dispose() => http.Dispose();
}
