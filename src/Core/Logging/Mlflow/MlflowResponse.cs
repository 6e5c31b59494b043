using System.Text.Json;

namespace Unified.Core.Logging.Mlflow;

/// <summary>What one MLflow request came to after its retries.</summary>
/// <param name="Outcome">Answered, refused, or never answered.</param>
/// <param name="Status">The HTTP status (0 when no answer came).</param>
/// <param name="Body">The JSON body (an empty object when there was none).</param>
/// <param name="ErrorCode">MLflow's <c>error_code</c> of a refusal (e.g. <c>RESOURCE_DOES_NOT_EXIST</c>).</param>
/// <param name="Message">MLflow's <c>message</c>, or why no answer came.</param>
/// <param name="Attempts">Tries made.</param>
internal sealed record MlflowResponse(MlflowOutcome Outcome, int Status, JsonElement Body, string ErrorCode, string Message, int Attempts);

/// <summary>How an MLflow request ended.</summary>
internal enum MlflowOutcome
{
    /// <summary>HTTP 2xx.</summary>
    Ok,

    /// <summary>An HTTP 4xx other than 429: retrying the same request cannot help.</summary>
    Rejected,

    /// <summary>No usable answer after every try (connection refused, timeout, 429, 5xx).</summary>
    Unavailable,
}
