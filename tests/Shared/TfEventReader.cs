using System.Buffers.Binary;
using System.Text;

namespace Unified.Testing;

/// <summary>One decoded TensorBoard event.</summary>
public sealed record TfEvent(double WallTime, long Step, string? FileVersion, IReadOnlyList<TfValue> Values);

/// <summary>One <c>Summary.Value</c>: a scalar, a histogram, or a plugin's data (e.g. hparams).</summary>
public sealed record TfValue(string Tag, float? SimpleValue, TfHistogram? Histogram, string? PluginName, byte[]? PluginContent);

/// <summary>A decoded <c>HistogramProto</c>.</summary>
public sealed record TfHistogram(double Min, double Max, double Num, double Sum, double SumSquares, double[] BucketLimit, double[] Bucket);

/// <summary>
/// An independent reader of TensorBoard event files for tests: verifies every TFRecord's masked CRC32C (table-driven,
/// not the writer's code) and decodes Event / Summary / HistogramProto by their proto field numbers.
/// </summary>
public static class TfEventReader
{
    static readonly uint[] Table = BuildTable();

    /// <summary>Every event of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="InvalidDataException">A record is truncated or a CRC does not match.</exception>
    public static List<TfEvent> Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var events = new List<TfEvent>();
        int offset = 0;
        while (offset < data.Length)
        {
            if (offset + 12 > data.Length) throw new InvalidDataException($"Truncated record header at byte {offset} of {path}.");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));
            if (MaskedCrc(data.AsSpan(offset, 8)) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 8)))
                throw new InvalidDataException($"Length CRC mismatch at byte {offset} of {path}.");
            int start = offset + 12;
            if ((ulong)(data.Length - start) < length + 4) throw new InvalidDataException($"Truncated record at byte {offset} of {path}.");
            var payload = data.AsSpan(start, (int)length);
            if (MaskedCrc(payload) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(start + (int)length)))
                throw new InvalidDataException($"Data CRC mismatch in the record at byte {offset} of {path}.");
            events.Add(DecodeEvent(payload.ToArray()));
            offset = start + (int)length + 4;
        }
        return events;
    }

    /// <summary>TensorFlow's masked CRC32C, from a lookup table of the Castagnoli polynomial.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        crc ^= 0xFFFFFFFF;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8);
    }

    /// <summary>The fields of a protobuf message: (field number, wire type, varint or fixed bits, bytes for length-delimited).</summary>
    public static List<(int Field, int Wire, ulong Bits, byte[] Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, int, ulong, byte[])>();
        int i = 0;
        while (i < message.Length)
        {
            ulong key = Varint(message, ref i);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, wire, Varint(message, ref i), [])); break;
                case 1: fields.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(i)), [])); i += 8; break;
                case 5: fields.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(i)), [])); i += 4; break;
                case 2:
                    int length = (int)Varint(message, ref i);
                    fields.Add((field, wire, 0, message.AsSpan(i, length).ToArray()));
                    i += length;
                    break;
                default: throw new InvalidDataException($"Unsupported wire type {wire} for field {field}.");
            }
        }
        return fields;
    }

    /// <summary>A string field's value, or null.</summary>
    public static string? String(List<(int Field, int Wire, ulong Bits, byte[] Bytes)> fields, int field) =>
        fields.Where(f => f.Field == field).Select(f => Encoding.UTF8.GetString(f.Bytes)).LastOrDefault();

    /// <summary>A double field's value, or 0.</summary>
    public static double Double(List<(int Field, int Wire, ulong Bits, byte[] Bytes)> fields, int field) =>
        fields.Where(f => f.Field == field).Select(f => BitConverter.Int64BitsToDouble((long)f.Bits)).LastOrDefault();

    static TfEvent DecodeEvent(byte[] payload)
    {
        var fields = Fields(payload);
        var values = new List<TfValue>();
        foreach (var summary in fields.Where(f => f.Field == 5))
            foreach (var value in Fields(summary.Bytes).Where(f => f.Field == 1))
                values.Add(DecodeValue(value.Bytes));
        long step = (long)fields.Where(f => f.Field == 2).Select(f => f.Bits).LastOrDefault();
        return new TfEvent(Double(fields, 1), step, String(fields, 3), values);
    }

    static TfValue DecodeValue(byte[] bytes)
    {
        var fields = Fields(bytes);
        float? simple = fields.Where(f => f.Field == 2).Select(f => (float?)BitConverter.Int32BitsToSingle((int)f.Bits)).LastOrDefault();
        TfHistogram? histogram = null;
        if (fields.Any(f => f.Field == 5))
        {
            var hf = Fields(fields.Last(f => f.Field == 5).Bytes);
            histogram = new TfHistogram(Double(hf, 1), Double(hf, 2), Double(hf, 3), Double(hf, 4), Double(hf, 5), Packed(hf, 6), Packed(hf, 7));
        }
        string? pluginName = null;
        byte[]? content = null;
        if (fields.Any(f => f.Field == 9))
        {
            var metadata = Fields(fields.Last(f => f.Field == 9).Bytes);
            if (metadata.Any(f => f.Field == 1))
            {
                var plugin = Fields(metadata.Last(f => f.Field == 1).Bytes);
                pluginName = String(plugin, 1);
                content = plugin.Where(f => f.Field == 2).Select(f => f.Bytes).LastOrDefault() ?? [];
            }
        }
        return new TfValue(String(fields, 1) ?? "", simple, histogram, pluginName, content);
    }

    static double[] Packed(List<(int Field, int Wire, ulong Bits, byte[] Bytes)> fields, int field) =>
        fields.Where(f => f.Field == field).SelectMany(f => Enumerable.Range(0, f.Bytes.Length / 8)
            .Select(i => BinaryPrimitives.ReadDoubleLittleEndian(f.Bytes.AsSpan(i * 8)))).ToArray();

    static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78 : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
