using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Unified.Core.Logging.TensorBoard;

/// <summary>
/// A minimal protocol-buffers encoder for the handful of TensorBoard messages we write (Event, Summary,
/// HistogramProto, the hparams plugin's data). Fields are written in the order called; default values are skipped
/// as proto3 does.
/// </summary>
internal sealed class ProtoWriter
{
    const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;
    readonly ArrayBufferWriter<byte> buffer = new(64);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => buffer.WrittenSpan;

    /// <summary>A <c>double</c> field (skipped when 0 unless <paramref name="always"/>, for oneof cases).</summary>
    public ProtoWriter Double(int field, double value, bool always = false)
    {
        if (BitConverter.DoubleToInt64Bits(value) == 0 && !always) return this;
        Tag(field, Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
        return this;
    }

    /// <summary>A <c>float</c> field, written even when 0 (it selects a oneof case).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
        return this;
    }

    /// <summary>An <c>int64</c>, <c>int32</c> or enum field (skipped when 0).</summary>
    public ProtoWriter Int64(int field, long value)
    {
        if (value == 0) return this;
        Tag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    /// <summary>A <c>bool</c> field, written even when false (it selects a oneof case).</summary>
    public ProtoWriter Bool(int field, bool value)
    {
        Tag(field, Varint);
        WriteVarint(value ? 1UL : 0UL);
        return this;
    }

    /// <summary>A <c>string</c> field (skipped when empty unless <paramref name="always"/>, for oneof cases).</summary>
    public ProtoWriter String(int field, string value, bool always = false)
    {
        if (value.Length == 0 && !always) return this;
        int length = Encoding.UTF8.GetByteCount(value);
        Tag(field, LengthDelimited);
        WriteVarint((ulong)length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
        return this;
    }

    /// <summary>A <c>bytes</c> field, or an embedded message already encoded.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    /// <summary>An embedded message, written by <paramref name="body"/> (always present, even when empty).</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> body)
    {
        var inner = new ProtoWriter();
        body(inner);
        return Bytes(field, inner.WrittenSpan);
    }

    /// <summary>A packed <c>repeated double</c> field (skipped when empty).</summary>
    public ProtoWriter PackedDoubles(int field, IReadOnlyList<double> values)
    {
        if (values.Count == 0) return this;
        Tag(field, LengthDelimited);
        WriteVarint((ulong)values.Count * 8);
        var span = buffer.GetSpan(values.Count * 8);
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], values[i]);
        buffer.Advance(values.Count * 8);
        return this;
    }

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => buffer.WrittenSpan.ToArray();

    void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    void WriteVarint(ulong value)
    {
        var span = buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        buffer.Advance(n);
    }
}
