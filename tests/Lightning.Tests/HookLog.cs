namespace Unified.Lightning.Tests;

/// <summary>The ordered record of the hooks a fit called, shared by a module and its callbacks.</summary>
internal sealed class HookLog
{
    public List<string> Entries { get; } = [];

    public void Add(string entry) => Entries.Add(entry);

    public int Count(string prefix) => Entries.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));
}
