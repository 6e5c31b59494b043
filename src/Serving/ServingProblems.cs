using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Unified.Serving;

/// <summary>Writes RFC 7807 problem details (<c>application/problem+json</c>) and notes the kind for the error metric.</summary>
static class ServingProblems
{
    public const string KindItem = "unified.problem";

    public static async Task WriteAsync(HttpContext context, int status, string kind, string title, string detail)
    {
        context.Items[KindItem] = kind;
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", status == 400 ? "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.1" : "about:blank");
        writer.WriteString("title", title);
        writer.WriteNumber("status", status);
        writer.WriteString("detail", detail);
        writer.WriteString("instance", context.Request.Path);
        writer.WriteString("kind", kind);
        writer.WriteEndObject();
        await writer.FlushAsync();
    }
}
