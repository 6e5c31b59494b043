using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Unified.Testing;

namespace Unified.Tuning.Tests;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) on a free loopback port, in a temporary folder, without persistence;
/// killed and its folder deleted on dispose, so that nothing is left running.
/// </summary>
public sealed class RedisServer : IDisposable
{
    readonly Process process;
    readonly TempDirectory directory = new();

    /// <summary>Starts the server and waits until it answers PING.</summary>
    /// <exception cref="InvalidOperationException">redis-server is not installed or does not start.</exception>
    public RedisServer()
    {
        string binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server was not found: install it (Debian/Ubuntu: apt-get install redis-server; scripts/test.sh does).");
        Port = FreePort();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory.Path };
        foreach (string arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", directory.Path, "--save", "", "--appendonly", "no", "--daemonize", "no" })
            start.ArgumentList.Add(arg);
        process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-server.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Answers())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                Dispose();
                throw new InvalidOperationException($"redis-server did not start on port {Port}.");
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A storage URI for database <paramref name="db"/>, with <paramref name="query"/> appended.</summary>
    public string Uri(int db = 0, string query = "") => $"redis://127.0.0.1:{Port}/{db}{query}";

    bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            using var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[7];
            return stream.Read(buffer) > 0 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        finally
        {
            process.Dispose();
            directory.Dispose();
        }
    }
}
