using System.Buffers.Binary;

namespace Unified.Testing;

/// <summary>
/// Reads what a PNG file declares, from the bytes (the PNG specification, ISO/IEC 15948): the 8-byte signature, the
/// IHDR chunk first (its width, height, bit depth and colour type, its CRC-32 checked), and an IEND chunk last.
/// </summary>
public sealed record PngFile(int Width, int Height, int BitDepth, int ColorType, int Chunks)
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Parses <paramref name="path"/>, walking every chunk and checking every CRC.</summary>
    /// <exception cref="InvalidDataException">Not a well-formed PNG file.</exception>
    public static PngFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException($"{path} does not start with the PNG signature.");
        int offset = 8, chunks = 0;
        string last = "";
        (int Width, int Height, int Depth, int Color)? header = null;
        while (offset < bytes.Length)
        {
            if (offset + 12 > bytes.Length) throw new InvalidDataException($"{path}: a chunk is truncated at byte {offset}.");
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            if (length < 0 || offset + 12 + length > bytes.Length) throw new InvalidDataException($"{path}: chunk at byte {offset} overruns the file.");
            string type = System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4);
            var data = bytes.AsSpan(offset + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 8 + length));
            if (Crc32(bytes.AsSpan(offset + 4, 4 + length)) != crc) throw new InvalidDataException($"{path}: the CRC of chunk {type} is wrong.");
            if (chunks == 0)
            {
                if (type != "IHDR" || length != 13) throw new InvalidDataException($"{path}: the first chunk is {type}, not IHDR.");
                header = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]), data[8], data[9]);
            }
            last = type;
            chunks++;
            offset += 12 + length;
        }
        if (last != "IEND" || header is not { } h) throw new InvalidDataException($"{path}: the last chunk is {last}, not IEND.");
        return new PngFile(h.Width, h.Height, h.Depth, h.Color, chunks);
    }

    /// <summary>CRC-32 as PNG defines it (ISO 3309, reflected polynomial 0xEDB88320), written out so that every test project can link this file without a package.</summary>
    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
