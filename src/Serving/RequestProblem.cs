namespace Unified.Serving;

/// <summary>A client's mistake in a request: answered 400 with RFC 7807 problem details of this kind, title and detail.</summary>
sealed class RequestProblem(string kind, string title, string detail) : Exception(detail)
{
    public string Kind { get; } = kind;

    public string Title { get; } = title;
}
