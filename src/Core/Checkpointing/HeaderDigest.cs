using System.Security.Cryptography;
using System.Text;

namespace Unified.Core.Checkpointing;

/// <summary>
/// A SHA-256 of a safetensors header stored inside that header: the digest is computed over the header bytes with its
/// own value replaced by 64 zeros, so that a change to any other header byte (a name, a shape, a metadata value,
/// padding) is detected, as the data checksum detects changes to tensor bytes.
/// </summary>
public static class HeaderDigest
{
    /// <summary>The value written in place of the digest while it is computed.</summary>
    public static string Placeholder { get; } = new('0', 64);

    /// <summary>Replaces the placeholder value of <paramref name="key"/> in <paramref name="header"/> with the header's digest.</summary>
    public static void Seal(byte[] header, string key)
    {
        int at = IndexOfValue(header, key, Placeholder);
        if (at < 0) throw new InvalidOperationException($"The header has no placeholder value for '{key}' to seal.");
        string digest = Convert.ToHexStringLower(SHA256.HashData(header));
        Encoding.ASCII.GetBytes(digest).CopyTo(header, at);
    }

    /// <summary>Whether <paramref name="recorded"/> (the value under <paramref name="key"/>) is the digest of <paramref name="header"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> header, string key, string recorded)
    {
        byte[] copy = header.ToArray();
        int at = IndexOfValue(copy, key, recorded);
        if (at < 0) return false;
        Encoding.ASCII.GetBytes(Placeholder).CopyTo(copy, at);
        return Convert.ToHexStringLower(SHA256.HashData(copy)) == recorded;
    }

    // Where the value's characters start in the unique `"key":"value"` of the header; -1 when absent or not unique.
    static int IndexOfValue(ReadOnlySpan<byte> header, string key, string value)
    {
        byte[] pattern = Encoding.UTF8.GetBytes($"\"{key}\":\"{value}\"");
        int first = header.IndexOf(pattern);
        if (first < 0 || header[(first + 1)..].IndexOf(pattern) >= 0) return -1;
        return first + pattern.Length - 1 - value.Length;
    }
}
