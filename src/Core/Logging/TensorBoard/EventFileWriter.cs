using System.Globalization;
using System.Net;

namespace Unified.Core.Logging.TensorBoard;

/// <summary>
/// One open, buffered <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;n&gt;</c> file of TFRecord-framed
/// events, named and started (with <c>file_version</c>) as TensorBoard's own writer does.
/// </summary>
internal sealed class EventFileWriter : IDisposable
{
    static int counter = -1;
    readonly FileStream stream;

    /// <summary>Creates the file in <paramref name="directory"/> and writes the version event.</summary>
    public EventFileWriter(string directory, string suffix = "")
    {
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        int n = Interlocked.Increment(ref counter);
        Path = System.IO.Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{seconds:D10}.{Dns.GetHostName()}.{Environment.ProcessId}.{n}{suffix}"));
        stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        Write(TensorBoardEvents.Version(WallTime()));
        Flush();
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>Seconds since the Unix epoch, with sub-second precision (TensorBoard's <c>wall_time</c>).</summary>
    public static double WallTime() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    /// <summary>Appends one encoded event (buffered).</summary>
    public void Write(ReadOnlySpan<byte> encodedEvent) => TfRecord.Write(stream, encodedEvent);

    /// <summary>Hands buffered records to the operating system, so readers see them.</summary>
    public void Flush() => stream.Flush();

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();
}
