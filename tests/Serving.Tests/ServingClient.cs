using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Unified.Serving.Tests;

/// <summary>Real HTTP against a running <see cref="ServingHost"/>.</summary>
public static class ServingClient
{
    public static HttpClient For(ServingHost host) => new() { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };

    public static string Body(float[][] rows) => JsonSerializer.Serialize(new { data = rows });

    public static async Task<(int Status, string? ContentType, JsonElement Json)> PostAsync(HttpClient client, string body, string? contentType = "application/json")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync("predict", content);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonDocument.Parse(text).RootElement.Clone());
    }
}
