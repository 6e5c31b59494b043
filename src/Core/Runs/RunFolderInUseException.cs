namespace Unified.Core.Runs;

/// <summary>Another process holds the run folder's lock: a run is alive in it.</summary>
public sealed class RunFolderInUseException(string path, Exception inner)
    : IOException($"Run folder '{path}' is in use by another running process; wait for it to end, or choose another folder.", inner)
{
    /// <summary>The folder.</summary>
    public string FolderPath { get; } = path;
}
