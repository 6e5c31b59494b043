using System.Globalization;

namespace Unified.Core.Runs;

/// <summary>
/// A run's folder, held by one process for the whole run: an OS lock on <see cref="LockFileName"/> inside it (released
/// by the OS when the process ends, however it ends) refuses a second process, and a new run is refused a folder that
/// already holds files, so that no run overwrites another's checkpoint, metrics or config.
/// </summary>
/// <example><code>
/// using var folder = RunFolder.ClaimNextVersion("runs");          // runs/version_N, N one past the highest
/// using var resumed = RunFolder.ClaimExisting("runs/version_0");  // to continue the run that is there
/// </code></example>
public sealed class RunFolder : IDisposable
{
    /// <summary>The lock file's name; it stays in the folder (deleting it could let two processes lock two files).</summary>
    public const string LockFileName = ".unified.lock";

    readonly FileStream lockFile;

    RunFolder(string path, FileStream lockFile) => (Path, this.lockFile) = (path, lockFile);

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Claims <paramref name="path"/> for a new run: creates it when missing and refuses it when it holds any file but the lock.</summary>
    /// <exception cref="RunFolderNotEmptyException">The folder holds another run's files.</exception>
    /// <exception cref="RunFolderInUseException">Another process holds the folder.</exception>
    public static RunFolder ClaimNew(string path)
    {
        var folder = Claim(path);
        var entries = Entries(folder.Path);
        if (entries.Count == 0) return folder;
        folder.Dispose();
        throw new RunFolderNotEmptyException(folder.Path, entries);
    }

    /// <summary>Claims <paramref name="path"/> to continue the run in it (a resume); it must exist.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="RunFolderInUseException">Another process holds the folder.</exception>
    public static RunFolder ClaimExisting(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"Run folder '{path}' does not exist.");
        return Claim(path);
    }

    /// <summary>
    /// Claims <c><paramref name="root"/>/version_N</c> for a new run, N one past the highest existing version (as
    /// Lightning numbers its runs); a version that another process took meanwhile is skipped.
    /// </summary>
    public static RunFolder ClaimNextVersion(string root = "runs")
    {
        Directory.CreateDirectory(root);
        int next = Directory.GetDirectories(root, "version_*")
            .Select(d => int.TryParse(System.IO.Path.GetFileName(d)["version_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n + 1 : 0)
            .DefaultIfEmpty(0).Max();
        for (; ; next++)
        {
            try
            {
                return ClaimNew(System.IO.Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"version_{next}")));
            }
            catch (IOException e) when (e is RunFolderNotEmptyException or RunFolderInUseException)
            {
                // Taken between the scan and the claim: the next number.
            }
        }
    }

    /// <summary>The files and folders in <paramref name="path"/> other than the lock, by name.</summary>
    public static IReadOnlyList<string> Entries(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFileSystemEntries(path).Select(e => System.IO.Path.GetFileName(e)).Where(n => n != LockFileName).Order(StringComparer.Ordinal).ToList()
            : [];

    static RunFolder Claim(string path)
    {
        string full = Directory.CreateDirectory(path).FullName;
        string lockPath = System.IO.Path.Combine(full, LockFileName);
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix (LockFileEx on Windows): held until closed or the process ends.
            return new RunFolder(full, new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(lockPath))
        {
            throw new RunFolderInUseException(full, e);
        }
    }

    /// <summary>Releases the folder for other processes.</summary>
    public void Dispose() => lockFile.Dispose();
}
