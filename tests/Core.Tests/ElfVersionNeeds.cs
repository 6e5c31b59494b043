using System.Buffers.Binary;
using System.Text;

namespace Unified.Core.Tests;

/// <summary>
/// Reads the version requirements (<c>.gnu.version_r</c>, Elf64_Verneed / Elf64_Vernaux) of a little-endian 64-bit
/// ELF file, independently of the build task that patches them.
/// </summary>
internal static class ElfVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Every (library, version, vna_flags) requirement in the file.</summary>
    public static List<(string Library, string Version, ushort Flags)> Read(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("Not a little-endian 64-bit ELF file.");
        var span = elf.AsSpan();
        long sectionTable = BinaryPrimitives.ReadInt64LittleEndian(span[0x28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var needs = new List<(string, string, ushort)>();
        for (int i = 0; i < sectionCount; i++)
        {
            var header = span[(int)(sectionTable + (long)i * entrySize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed) continue;
            int offset = (int)BinaryPrimitives.ReadInt64LittleEndian(header[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            int strings = (int)BinaryPrimitives.ReadInt64LittleEndian(span[(int)(sectionTable + (long)link * entrySize + 0x18)..]);
            int verneed = offset;
            while (true)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(verneed + 2)..]);
                string library = CString(elf, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 4)..]));
                int aux = verneed + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                    string version = CString(elf, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]));
                    needs.Add((library, version, flags));
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 12)..]);
                if (next == 0) break;
                verneed += (int)next;
            }
        }
        return needs;
    }

    static string CString(byte[] bytes, int start) => Encoding.ASCII.GetString(bytes, start, Array.IndexOf(bytes, (byte)0, start) - start);
}
