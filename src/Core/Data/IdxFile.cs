using System.IO.Compression;

namespace Unified.Core.Data;

/// <summary>
/// Reads the IDX format of the MNIST files (big-endian header: two zero bytes, a type code, the number of
/// dimensions, one 32-bit size per dimension, then the data), plain or gzip-compressed. Only unsigned bytes (0x08).
/// </summary>
public static class IdxFile
{
    const byte UnsignedByte = 0x08;

    /// <summary>The largest data part read (2 GiB, .NET's array bound; the full MNIST training set is 47 MB).</summary>
    public const long MaxDataBytes = int.MaxValue;

    /// <summary>Reads <paramref name="path"/>; returns its dimensions and raw bytes.</summary>
    /// <remarks>
    /// Streams: the header is checked before the data is read, and no more than the declared size (plus one byte, to
    /// detect trailing data) is read, so a device such as <c>/dev/zero</c> or a gzip bomb is refused instead of
    /// filling memory.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not IDX, uses another element type, declares sizes that do not fit, or is truncated.</exception>
    public static (int[] Shape, byte[] Data) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var gunzip = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : null;
        Stream source = (Stream?)gunzip ?? file;
        Span<byte> magic = stackalloc byte[4];
        int got = ReadUpTo(source, magic, path);
        if (got < 4 || magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"'{path}' is not an IDX file: it must start with two zero bytes (MNIST magic 2049 or 2051).");
        if (magic[2] != UnsignedByte)
            throw new InvalidDataException($"'{path}' holds IDX element type 0x{magic[2]:X2}; only unsigned bytes (0x08) are supported.");
        int rank = magic[3];
        var dims = new byte[4 * rank];
        if (rank == 0 || ReadUpTo(source, dims, path) < dims.Length)
            throw new InvalidDataException($"'{path}' has a truncated IDX header ({4 + dims.Length} bytes needed for {rank} dimensions).");
        var shape = new int[rank];
        long expected = 1;
        for (int d = 0; d < rank; d++)
        {
            shape[d] = dims[4 * d] << 24 | dims[4 * d + 1] << 16 | dims[4 * d + 2] << 8 | dims[4 * d + 3];
            if (shape[d] < 0) throw new InvalidDataException($"'{path}' declares a negative size in dimension {d}.");
            if (expected > 0 && shape[d] > MaxDataBytes / expected)
                throw new InvalidDataException($"'{path}' declares {string.Join("x", shape[..(d + 1)])}... elements, more than the {MaxDataBytes} bytes an IDX file may hold here: the header is damaged.");
            expected *= shape[d];
        }
        var data = new byte[expected];
        int actual = ReadUpTo(source, data, path);
        if (actual < expected)
            throw new InvalidDataException($"'{path}' declares {string.Join("x", shape)} = {expected} bytes of data but holds {actual}: the file is truncated.");
        if (ReadUpTo(source, stackalloc byte[1], path) > 0)
            throw new InvalidDataException($"'{path}' declares {string.Join("x", shape)} = {expected} bytes of data but holds more: the file has trailing bytes.");
        return (shape, data);
    }

    // Reads until buffer is full or the stream ends; a damaged gzip stream becomes a message naming the file.
    static int ReadUpTo(Stream source, Span<byte> buffer, string path)
    {
        try
        {
            int total = 0;
            while (total < buffer.Length && source.Read(buffer[total..]) is int n and > 0) total += n;
            return total;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is a damaged gzip file: {e.Message}", e);
        }
    }
}
