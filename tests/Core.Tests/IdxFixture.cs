using System.IO.Compression;

namespace Unified.Core.Tests;

/// <summary>Writes IDX files (MNIST's format) for tests, plain or gzip-compressed.</summary>
internal static class IdxFixture
{
    /// <summary>The bytes of an IDX file of unsigned bytes with <paramref name="shape"/> and <paramref name="data"/>.</summary>
    public static byte[] Bytes(int[] shape, byte[] data, byte typeCode = 0x08)
    {
        using var stream = new MemoryStream();
        stream.Write([0, 0, typeCode, (byte)shape.Length]);
        foreach (int d in shape) stream.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        stream.Write(data);
        return stream.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, gzip-compressed when the name ends in <c>.gz</c>.</summary>
    public static void Write(string path, byte[] bytes)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    /// <summary>Writes a matching images/labels pair named <c>{prefix}-images-idx3-ubyte</c> / <c>{prefix}-labels-idx1-ubyte</c>.</summary>
    public static (string Images, string Labels) WritePair(string directory, string prefix, int count, int labelCount = -1,
        int rows = 4, int columns = 4, string suffix = "")
    {
        if (labelCount < 0) labelCount = count;
        var pixels = new byte[count * rows * columns];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 256);
        var labels = new byte[labelCount];
        for (int i = 0; i < labels.Length; i++) labels[i] = (byte)(i % 10);
        string images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}");
        string labelsPath = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}");
        Write(images, Bytes([count, rows, columns], pixels));
        Write(labelsPath, Bytes([labelCount], labels));
        return (images, labelsPath);
    }
}
