namespace Unified.Core.Runs;

/// <summary>A new run was pointed at a folder that already holds another run's files.</summary>
public sealed class RunFolderNotEmptyException(string path, IReadOnlyList<string> entries)
    : IOException($"Run folder '{path}' already holds files of another run ({Describe(entries)}); continue that run from its checkpoint, or choose another folder.")
{
    /// <summary>The folder.</summary>
    public string FolderPath { get; } = path;

    /// <summary>What the folder holds, by name.</summary>
    public IReadOnlyList<string> Entries { get; } = entries;

    /// <summary>The first few names, for messages.</summary>
    public static string Describe(IReadOnlyList<string> entries) =>
        string.Join(", ", entries.Take(4)) + (entries.Count > 4 ? $" and {entries.Count - 4} more" : "");
}
