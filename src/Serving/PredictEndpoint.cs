using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Unified.Serving;

/// <summary>
/// <c>POST /predict</c>: checks the content type and size, parses and validates the rows, runs them (through the
/// micro-batcher when it is on) and answers predictions and confidences. A client's mistake is a 400 problem.
/// </summary>
sealed class PredictEndpoint(IPredictor predictor, MicroBatcher? batcher, ServingMetrics metrics, ServingOptions options)
{
    readonly string sampleShape = "[" + string.Join(", ", predictor.SampleShape) + "]";

    public async Task HandleAsync(HttpContext context)
    {
        using var inFlight = metrics.TrackInFlight();
        float[] data;
        int rows;
        byte[]? body = null;
        try
        {
            CheckContentType(context.Request);
            int length;
            (body, length) = await ReadBodyAsync(context.Request, context.RequestAborted);
            (data, rows) = PredictRequestParser.Parse(body.AsSpan(0, length), predictor.SampleLength, sampleShape, options.MaxRows);
        }
        catch (RequestProblem problem)
        {
            await ServingProblems.WriteAsync(context, 400, problem.Kind, problem.Title, problem.Message);
            return;
        }
        catch (BadHttpRequestException e)
        {
            await ServingProblems.WriteAsync(context, 400, "bad-request", "Bad request", e.Message);
            return;
        }
        finally
        {
            if (body is not null) ArrayPool<byte>.Shared.Return(body);
        }

        Scores scores;
        if (batcher is not null)
        {
            scores = await batcher.SubmitAsync(data, rows);
        }
        else
        {
            float[] values = predictor.Predict(data, rows, out int classes);
            metrics.ObserveBatch(rows);
            scores = new Scores(values, rows, classes);
        }
        await WriteAsync(context.Response, scores.ToResponse());
    }

    static void CheckContentType(HttpRequest request)
    {
        if (request.ContentType is not { } contentType || !MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            throw new RequestProblem("wrong-content-type", "Wrong content type",
                $"Content-Type is {(request.ContentType is null ? "missing" : $"'{request.ContentType}'")}; send the body as application/json.");
    }

    // Reads at most MaxRequestBytes + 1 bytes, so an oversized body is refused without buffering all of it.
    async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken cancel)
    {
        int limit = options.MaxRequestBytes;
        if (request.ContentLength > limit) throw TooLarge(request.ContentLength.Value);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, request.ContentLength + 1 ?? 16384));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit) throw TooLarge(length);
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, 2L * buffer.Length));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                int read = await request.Body.ReadAsync(buffer.AsMemory(length), cancel);
                if (read == 0) break;
                length += read;
                if (length > limit) throw TooLarge(length);
            }
            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    RequestProblem TooLarge(long bytes) => new("payload-too-large", "Payload too large",
        $"The body has {(bytes > options.MaxRequestBytes + 1L ? bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more than " + options.MaxRequestBytes)} bytes; the limit is {options.MaxRequestBytes}. Send fewer rows per request.");

    static async Task WriteAsync(HttpResponse response, PredictResponse result)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("predictions");
        foreach (int p in result.Predictions) writer.WriteNumberValue(p);
        writer.WriteEndArray();
        writer.WriteStartArray("confidences");
        foreach (double c in result.Confidences) writer.WriteNumberValue(c);
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }
}
