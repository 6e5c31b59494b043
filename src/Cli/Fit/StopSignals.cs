using System.Runtime.InteropServices;
using Unified.Cli.Launch;

namespace Unified.Cli.Fit;

/// <summary>
/// Turns SIGTERM and SIGINT (Ctrl+C) into a cancellation that the fit honours at the next step boundary, after which
/// a resumable checkpoint is saved and the process exits with 143 / 130, as a shell reports those signals.
/// </summary>
public sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly PosixSignalRegistration[] registrations;

    /// <summary>Starts listening (on Linux also to the stop signal that <c>--devices</c> forwards to its ranks through mpirun).</summary>
    public StopSignals() => registrations =
    [
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Stop(context, new ReceivedSignal("SIGTERM", ExitCodes.Terminated))),
        PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Stop(context, new ReceivedSignal("SIGINT", ExitCodes.Interrupted))),
        .. OperatingSystem.IsLinux()
            ? [PosixSignalRegistration.Create(MpiLauncher.StopSignal, context => Stop(context, new ReceivedSignal("the launcher's stop signal", ExitCodes.Interrupted)))]
            : Array.Empty<PosixSignalRegistration>(),
    ];

    /// <summary>Cancelled when a signal arrives.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The first signal received, or null.</summary>
    public ReceivedSignal? Received { get; private set; }

    void Stop(PosixSignalContext context, ReceivedSignal signal)
    {
        // Keep the process alive: the fit stops itself, saves, and returns the exit code.
        context.Cancel = true;
        Received ??= signal;
        source.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        source.Dispose();
    }
}
