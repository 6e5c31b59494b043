using System.Net;

namespace Unified.Serving;

/// <summary>What <see cref="ServingHost"/> serves and how; validated when the host is built.</summary>
public sealed class ServingOptions
{
    /// <summary>An <c>.onnx</c> model (ONNX Runtime), or a Unified checkpoint with <see cref="Architecture"/> (TorchSharp).</summary>
    public string ModelPath { get; init; } = "";

    /// <summary>For a checkpoint: the digits model it holds (<c>mlp</c> or <c>cnn</c>); null for ONNX.</summary>
    public string? Architecture { get; init; }

    /// <summary>The IP address to listen on (<c>localhost</c> means 127.0.0.1).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>Whether concurrent requests are gathered into one inference (micro-batching).</summary>
    public bool Batching { get; init; } = true;

    /// <summary>The most rows one batched inference takes.</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>How long the first request of a batch waits for others at most.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The largest request body accepted, in bytes.</summary>
    public int MaxRequestBytes { get; init; } = 8 << 20;

    /// <summary>The most rows one request may send.</summary>
    public int MaxRows { get; init; } = 1024;

    /// <summary>Inference threads (ONNX Runtime intra-op, or libtorch); null leaves the library's default.</summary>
    public int? Threads { get; init; }

    /// <summary>How long a graceful shutdown waits for requests in flight.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The address <see cref="Host"/> names.</summary>
    public IPAddress Address => Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(Host);

    /// <summary>Throws naming the first invalid option and what it may be.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("ModelPath is required: an .onnx file or a checkpoint.", nameof(ModelPath));
        if (!File.Exists(ModelPath)) throw new FileNotFoundException($"The model '{ModelPath}' does not exist.", ModelPath);
        if (Host != "localhost" && !IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"Host '{Host}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1) or 'localhost'.", nameof(Host));
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0 (any free port) to 65535.");
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "MaxBatchSize must be at least 1.");
        if (MaxBatchDelay < TimeSpan.Zero || MaxBatchDelay > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(MaxBatchDelay), MaxBatchDelay, "MaxBatchDelay must be between 0 and 10 s.");
        if (MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "MaxRequestBytes must be positive.");
        if (MaxRows < 1) throw new ArgumentOutOfRangeException(nameof(MaxRows), MaxRows, "MaxRows must be at least 1.");
        if (Threads is < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "ShutdownTimeout must not be negative.");
    }
}
