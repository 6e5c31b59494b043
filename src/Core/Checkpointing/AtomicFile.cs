using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Unified.Core.Checkpointing;

/// <summary>Writes files so that no reader ever sees a partial one under the final name, and the rename survives a crash.</summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Test hook: milliseconds to wait after the temporary file is written and before it is flushed and renamed, read
    /// from <c>UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS</c> once per process. It widens the window in which a crash test's
    /// SIGKILL lands during a save; it is zero (no wait) unless the variable is set.
    /// </summary>
    public static int TestDelayMilliseconds { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out int ms) ? ms : 0;

    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file in the same folder, flushes it to disk, renames it
    /// over <paramref name="path"/>, then flushes the folder so that the rename itself is durable. On failure the
    /// temporary file is removed and the old file is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                if (TestDelayMilliseconds > 0) Thread.Sleep(TestDelayMilliseconds);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        FlushDirectory(directory);
    }

    /// <summary>
    /// Deletes temporary files that <see cref="Write"/> left in <paramref name="directory"/> when its process was killed
    /// (the process id in the name is no longer running). Returns how many were deleted.
    /// </summary>
    public static int RemoveStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            string[] parts = Path.GetFileName(file).Split('.');
            // ".{name}.{pid}.{guid}.tmp": the pid is the third part from the end.
            if (parts.Length < 5 || !int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || IsRunning(pid)) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (IOException)
            {
                // Another cleaner got there first.
            }
        }
        return removed;
    }

    /// <summary>Makes a rename or delete in <paramref name="directory"/> durable (fsync of the folder; a no-op on Windows, where NTFS journals it).</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, OpenReadOnly | (OperatingSystem.IsLinux() ? LinuxDirectory : 0));
        if (fd < 0) throw new IOException($"Cannot open folder '{directory}' to flush it to disk (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"Flushing folder '{directory}' to disk failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            Close(fd);
        }
    }

    static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    const int OpenReadOnly = 0, LinuxDirectory = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
