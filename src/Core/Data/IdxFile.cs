using System.IO.Compression;

namespace Unified.Core.Data;

/// <summary>
/// Reads the IDX format of the MNIST files (big-endian header: two zero bytes, a type code, the number of
/// dimensions, one 32-bit size per dimension, then the data), plain or gzip-compressed. Only unsigned bytes (0x08).
/// </summary>
public static class IdxFile
{
    const byte UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/>; returns its dimensions and raw bytes.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not IDX, uses another element type, or is truncated.</exception>
    public static (int[] Shape, byte[] Data) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        byte[] bytes = ReadAllBytes(path);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"'{path}' is not an IDX file: it must start with two zero bytes (MNIST magic 2049 or 2051).");
        if (bytes[2] != UnsignedByte)
            throw new InvalidDataException($"'{path}' holds IDX element type 0x{bytes[2]:X2}; only unsigned bytes (0x08) are supported.");
        int rank = bytes[3];
        if (rank == 0 || bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"'{path}' has a truncated IDX header ({bytes.Length} bytes for {rank} dimensions).");
        var shape = new int[rank];
        long expected = 1;
        for (int d = 0; d < rank; d++)
        {
            int offset = 4 + 4 * d;
            shape[d] = bytes[offset] << 24 | bytes[offset + 1] << 16 | bytes[offset + 2] << 8 | bytes[offset + 3];
            if (shape[d] < 0) throw new InvalidDataException($"'{path}' declares a negative size in dimension {d}.");
            expected = checked(expected * shape[d]);
        }
        long headerLength = 4 + 4L * rank, actual = bytes.Length - headerLength;
        if (actual != expected)
            throw new InvalidDataException($"'{path}' declares {string.Join("x", shape)} = {expected} bytes of data but holds {actual}: "
                + (actual < expected ? "the file is truncated." : "the file has trailing bytes."));
        return (shape, bytes[(int)headerLength..]);
    }

    static byte[] ReadAllBytes(string path)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream source = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffer = new MemoryStream();
        try
        {
            source.CopyTo(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is a damaged gzip file: {e.Message}", e);
        }
        return buffer.ToArray();
    }
}
