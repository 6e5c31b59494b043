using System.Runtime.InteropServices;
using Unified.Cli.Launch;

namespace Unified.Cli.Fit;

/// <summary>
/// SIGTERM and SIGINT (Ctrl+C): while <see cref="Graceful"/> (the fit is running), the first one becomes a
/// cancellation that the fit honours at the next step boundary, after which a resumable checkpoint is saved and the
/// process exits with 143 / 130, as a shell reports those signals. Outside that window (loading data, writing the
/// result), and for a second signal at any time, the process ends at once with that code: nothing can block a stop.
/// </summary>
public sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly TextWriter error;
    readonly PosixSignalRegistration[] registrations;
    volatile bool graceful;

    /// <summary>Starts listening (on Linux also to the stop signal that <c>--devices</c> forwards to its ranks through mpirun).</summary>
    public StopSignals(TextWriter error)
    {
        this.error = error;
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Stop(context, new ReceivedSignal("SIGTERM", ExitCodes.Terminated))),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Stop(context, new ReceivedSignal("SIGINT", ExitCodes.Interrupted))),
            .. OperatingSystem.IsLinux()
                ? [PosixSignalRegistration.Create(MpiLauncher.StopSignal, context => Stop(context, new ReceivedSignal("the launcher's stop signal", ExitCodes.Interrupted)))]
                : Array.Empty<PosixSignalRegistration>(),
        ];
    }

    /// <summary>Cancelled when a signal arrives while <see cref="Graceful"/>.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The first signal received, or null.</summary>
    public ReceivedSignal? Received { get; private set; }

    /// <summary>Whether a first signal stops the fit at a step boundary (true while it runs) rather than ending the process.</summary>
    public bool Graceful
    {
        get => graceful;
        set => graceful = value;
    }

    void Stop(PosixSignalContext context, ReceivedSignal signal)
    {
        context.Cancel = true;
        if (Received is null && graceful)
        {
            // Keep the process alive: the fit stops itself, saves, and returns the exit code.
            Received = signal;
            source.Cancel();
            return;
        }
        error.WriteLine(Received is null
            ? $"error: stopped by {signal.Name} before training started or after it ended."
            : $"error: stopped by a second signal ({signal.Name}) without waiting for the step to end; the last saved checkpoint is intact.");
        error.Flush();
        Environment.Exit(signal.ExitCode);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        source.Dispose();
    }
}
