// Compiled by MSBuild's RoslynCodeTaskFactory (see Unified.Native.targets); keep it free of non-BCL references.
#nullable enable
using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Lets TorchSharp 0.107's libLibTorchSharp.so load on hosts whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
/// The library requires the symbol version GLIBCXX_3.4.32 only for std::ios_base_library_init(), a marker symbol
/// that GCC 13 references and never calls. Marking that one version requirement weak (VER_FLG_WEAK in its
/// .gnu.version_r entry) makes the dynamic loader accept a libstdc++ without it. The task is idempotent and does
/// nothing where the host's libstdc++ already provides the version.
/// </summary>
public sealed class PatchLibTorchSharp : Task
{
    const string Version = "GLIBCXX_3.4.32";
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>The libLibTorchSharp.so files to patch in place.</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;
        string? hostLib = HostLibStdCxx();
        if (hostLib != null && ContainsBytes(File.ReadAllBytes(hostLib), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"{hostLib} provides {Version}; libLibTorchSharp.so needs no patch.");
            return true;
        }
        foreach (var item in Libraries)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                string outcome = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {outcome}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Log.LogError($"Could not mark {Version} weak in {path}: {e.Message}. TorchSharp will not load on this host "
                    + "(libstdc++ older than GCC 13). Make the NuGet packages folder writable, or install libstdc++ from GCC 13+.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Marks the version requirement weak; returns what was done.</summary>
    static string Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        int? flagsOffset = FindVernauxFlags(elf);
        if (flagsOffset is not int at) return $"no {Version} requirement, nothing to do";
        ushort flags = BitConverter.ToUInt16(elf, at);
        if ((flags & VerFlgWeak) != 0) return $"{Version} already weak";

        // Two bytes in one write, in place: the file keeps its inode, owner and mode, and is never seen half-patched.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = at;
            stream.Write(BitConverter.GetBytes((ushort)(flags | VerFlgWeak)), 0, 2);
        }
        return $"marked {Version} weak";
    }

    /// <summary>File offset of vna_flags of the GLIBCXX_3.4.32 Elf64_Vernaux entry, or null when there is none.</summary>
    static int? FindVernauxFlags(byte[] f)
    {
        if (f.Length < 64 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
            throw new InvalidDataException("not an ELF file");
        if (f[4] != 2 || f[5] != 1) throw new InvalidDataException("not a little-endian 64-bit ELF file");
        long shoff = BitConverter.ToInt64(f, 0x28);
        int shentsize = BitConverter.ToUInt16(f, 0x3A), shnum = BitConverter.ToUInt16(f, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(f, sh + 4) != ShtGnuVerneed) continue;
            int verneed = checked((int)BitConverter.ToInt64(f, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(f, sh + 0x28);
            int strtab = checked((int)BitConverter.ToInt64(f, checked((int)(shoff + (long)link * shentsize)) + 0x18));
            for (int vn = verneed; ; )
            {
                int count = BitConverter.ToUInt16(f, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(f, vn + 8);
                for (int a = 0; a < count; a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(f, aux + 8);
                    if (CString(f, name) == Version) return aux + 4;
                    aux += (int)BitConverter.ToUInt32(f, aux + 12);
                }
                uint next = BitConverter.ToUInt32(f, vn + 12);
                if (next == 0) break;
                vn += (int)next;
            }
        }
        return null;
    }

    static string CString(byte[] f, int start)
    {
        int end = Array.IndexOf(f, (byte)0, start);
        return Encoding.ASCII.GetString(f, start, end - start);
    }

    /// <summary>The libstdc++ this build process runs with (the .NET runtime links it), which a test or app run also gets.</summary>
    static string? HostLibStdCxx()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .FirstOrDefault(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(p));
        }
        catch (IOException) { return null; }
    }

    static bool ContainsBytes(byte[] haystack, byte[] needle)
    {
        for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            int k = 1;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }
}
