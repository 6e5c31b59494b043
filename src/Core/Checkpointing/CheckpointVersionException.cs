namespace Unified.Core.Checkpointing;

/// <summary>The checkpoint was written by a newer, incompatible format version than this library reads.</summary>
public sealed class CheckpointVersionException(string message, string fileVersion, string supportedVersion) : CheckpointException(message)
{
    /// <summary>The format version recorded in the file.</summary>
    public string FileVersion { get; } = fileVersion;

    /// <summary>The newest format version this library reads.</summary>
    public string SupportedVersion { get; } = supportedVersion;
}
