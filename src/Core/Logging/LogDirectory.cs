using System.Globalization;

namespace Unified.Core.Logging;

/// <summary>Lightning's run folders: <c>SaveDir/Name/version_N</c>, N one past the highest existing version.</summary>
public static class LogDirectory
{
    /// <summary>
    /// The run folder for <paramref name="saveDir"/>, <paramref name="name"/> (null or empty: none) and
    /// <paramref name="version"/> (null: the next <c>version_N</c>; otherwise the folder name itself, empty for none).
    /// </summary>
    public static string Resolve(string saveDir, string? name, string? version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(saveDir);
        string versions = Path.Combine(saveDir, name ?? "");
        version ??= "version_" + NextVersion(versions).ToString(CultureInfo.InvariantCulture);
        return Path.GetFullPath(Path.Combine(versions, version));
    }

    /// <summary>Creates <paramref name="directory"/> and proves it writable, or throws an <see cref="IOException"/> that says so.</summary>
    public static void EnsureWritable(string directory, string logger)
    {
        string probe = Path.Combine(directory, $".unified-write-probe.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"The {logger} logger cannot write to '{directory}': {e.Message} Choose a writable SaveDir (or fix the folder's permissions).", e);
        }
    }

    static int NextVersion(string versions)
    {
        if (!Directory.Exists(versions)) return 0;
        int next = 0;
        foreach (string dir in Directory.EnumerateDirectories(versions, "version_*"))
            if (int.TryParse(Path.GetFileName(dir)["version_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                next = Math.Max(next, n + 1);
        return next;
    }
}
