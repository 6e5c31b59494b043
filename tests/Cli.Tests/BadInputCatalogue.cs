using System.IO.Compression;
using System.Security.Cryptography;
using Unified.Core.Runs;
using Unified.Core.Tests;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// The files the bad-input catalogue points <c>unified fit</c> at, made once: a finished run folder (whose files no
/// case may change), IDX pairs with one defect each, damaged checkpoints, a gzip bomb.
/// </summary>
public sealed class BadInputCatalogue : IDisposable
{
    /// <summary>A folder of its own for every case and file.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("unified-catalogue-").FullName;

    /// <summary>An existing run (a capped 1-epoch fit of the digits MLP), resumed or reused by the cases.</summary>
    public string Run => Path.Combine(Root, "run");

    /// <summary>The run's checkpoint.</summary>
    public string Checkpoint => Path.Combine(Run, "last.ckpt");

    /// <summary>Makes the run folder and every defective file.</summary>
    public BadInputCatalogue()
    {
        var fit = CliRun.Of("fit", "--epochs", "1", "--max-steps", "10", "--run-dir", Run);
        if (fit.ExitCode != 0) throw new InvalidOperationException("The catalogue's run failed: " + fit.Error);

        Pair("label10", 28, 28, labels => labels[5] = 10);
        Pair("label200", 28, 28, labels => labels[97] = 200);
        Pair("small", 20, 20);
        Pair("empty", 28, 0);
        Pair("mismatch", 28, 28, labelCount: 30);
        Write("overflow-images-idx3-ubyte", IdxFixture.Bytes([65536, 65536, 65536], []));
        Write("overflow-labels-idx1-ubyte", IdxFixture.Bytes([3], [1, 2, 3]));
        Write("truncated-images-idx3-ubyte", IdxFixture.Bytes([10, 28, 28], new byte[100]));
        Write("truncated-labels-idx1-ubyte", IdxFixture.Bytes([10], new byte[10]));
        Write("text-images-idx3-ubyte", "these are not images\n"u8.ToArray());
        Write("text-labels-idx1-ubyte", IdxFixture.Bytes([1], [0]));
        Write("type-images-idx3-ubyte", IdxFixture.Bytes([1, 28, 28], new byte[784 * 4], typeCode: 0x0D));
        Write("type-labels-idx1-ubyte", IdxFixture.Bytes([1], [0]));
        // A gzip bomb: a 1-sample header followed by 64 MB of zeros, compressed to ~64 KB.
        using (var file = File.Create(Path.Combine(Root, "bomb-images-idx3-ubyte.gz")))
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
        {
            gzip.Write(IdxFixture.Bytes([1, 28, 28], new byte[784]));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gzip.Write(zeros);
        }
        Write("bomb-labels-idx1-ubyte.gz", IdxFixture.Bytes([1], [0]));
        byte[] good = File.ReadAllBytes(Path.Combine(Root, "small-images-idx3-ubyte"));
        Write("damaged-images-idx3-ubyte.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, .. good.Take(40)]);
        Write("damaged-labels-idx1-ubyte.gz", IdxFixture.Bytes([1], [0]));

        File.CreateSymbolicLink(Path.Combine(Root, "zero-images-idx3-ubyte"), "/dev/zero");
        Write("zero-labels-idx1-ubyte", IdxFixture.Bytes([1], [0]));
        byte[] checkpoint = File.ReadAllBytes(Checkpoint);
        checkpoint[^100] ^= 0xFF;
        Write("flipped.ckpt", checkpoint);
        Write("text.ckpt", "not a checkpoint"u8.ToArray());
        Write("not-a-folder", []);
        Directory.CreateDirectory(Path.Combine(Root, "a-folder.ckpt"));
        Snapshot = Hashes(Run);
    }

    /// <summary>The run folder's files by name → SHA-256 and modification time, as made.</summary>
    public IReadOnlyDictionary<string, string> Snapshot { get; }

    /// <summary>The files of <paramref name="folder"/> by name → SHA-256 and modification time (the lock aside: a live run holds it).</summary>
    public static IReadOnlyDictionary<string, string> Hashes(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => Path.GetFileName(f) != RunFolder.LockFileName).Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileName(f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) + "@" + File.GetLastWriteTimeUtc(f).Ticks);

    /// <summary>The path of a catalogue file.</summary>
    public string File_(string name) => Path.Combine(Root, name);

    void Pair(string prefix, int rows, int columns, Action<byte[]>? editLabels = null, int labelCount = 100)
    {
        const int count = 100;
        var pixels = new byte[count * rows * columns];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 256);
        var labels = new byte[labelCount];
        for (int i = 0; i < labels.Length; i++) labels[i] = (byte)(i % 10);
        editLabels?.Invoke(labels);
        Write($"{prefix}-images-idx3-ubyte", IdxFixture.Bytes([count, rows, columns], pixels));
        Write($"{prefix}-labels-idx1-ubyte", IdxFixture.Bytes([labelCount], labels));
    }

    void Write(string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(Root, name), bytes);

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Root, recursive: true);
}
