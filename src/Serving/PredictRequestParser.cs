using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Unified.Serving;

/// <summary>
/// Reads <c>{"data": [[...], ...]}</c> straight from the body's bytes into one row-major float buffer, checking as it
/// goes so that each mistake is named precisely (which row, which value, what was expected).
/// </summary>
static class PredictRequestParser
{
    public static (float[] Data, int Rows) Parse(ReadOnlySpan<byte> body, int sampleLength, string sampleShape, int maxRows)
    {
        if (body.IsEmpty) throw new RequestProblem("empty-body", "Empty request body", "The body is empty; send {\"data\": [[...], ...]}.");
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            Next(ref reader);
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Shape($"The body is a JSON {Describe(reader.TokenType)}; send an object {{\"data\": [[...], ...]}}.");
            (float[] Data, int Rows)? parsed = null;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("data"u8))
                {
                    Next(ref reader);
                    parsed = Rows(ref reader, sampleLength, sampleShape, maxRows);
                }
                else
                {
                    Next(ref reader);
                    reader.Skip();
                }
            }
            if (reader.Read()) throw new JsonException($"Unexpected content after the JSON object at byte {reader.TokenStartIndex}.");
            return parsed ?? throw Shape("The body has no \"data\" property; send {\"data\": [[...], ...]}.");
        }
        catch (JsonException e)
        {
            throw new RequestProblem("malformed-json", "Malformed JSON", $"The body is not valid JSON: {e.Message} (NaN and Infinity are not JSON numbers.)");
        }
    }

    static (float[] Data, int Rows) Rows(ref Utf8JsonReader reader, int sampleLength, string sampleShape, int maxRows)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Shape($"\"data\" is a JSON {Describe(reader.TokenType)}; it must be an array of rows, each {sampleLength} numbers.");
        var values = new List<float>(sampleLength);
        int rows = 0;
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (rows == maxRows) throw new RequestProblem("too-many-rows", "Too many rows", $"\"data\" has more than {maxRows} rows, the most one request may send; split it.");
            if (reader.TokenType != JsonTokenType.StartArray)
                throw Shape($"data[{rows}] is a JSON {Describe(reader.TokenType)}; each row must be an array of {sampleLength} numbers (one sample of shape {sampleShape}, flattened).");
            int count = 0;
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                    throw new RequestProblem("wrong-type", "Wrong value type", $"data[{rows}][{count}] is a JSON {Describe(reader.TokenType)}; every value must be a number.");
                if (++count > sampleLength) break;
                if (!reader.TryGetDouble(out double value) || !float.IsFinite((float)value))
                    throw new RequestProblem("not-finite", "Value not finite", $"data[{rows}][{count - 1}] = {Raw(ref reader)} is not a finite float32 value.");
                values.Add((float)value);
            }
            if (count != sampleLength)
                throw Shape($"data[{rows}] has {(count > sampleLength ? "more than " + sampleLength : count.ToString(CultureInfo.InvariantCulture))} values; the model reads {sampleLength} per row (one sample of shape {sampleShape}, flattened).");
            rows++;
        }
        if (rows == 0) throw new RequestProblem("empty-data", "No rows", "\"data\" holds no rows; send at least one.");
        return (values.ToArray(), rows);
    }

    static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("The JSON ends early.");

    static RequestProblem Shape(string detail) => new("wrong-shape", "Wrong shape", detail);

    static string Raw(ref Utf8JsonReader reader) => Encoding.UTF8.GetString(reader.ValueSpan);

    static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };
}
