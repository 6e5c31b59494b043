using System.Text;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>
/// The build marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak (VER_FLG_WEAK = 0x2) where the host's
/// libstdc++ predates GCC 13; on newer hosts it leaves the file alone. Either way TorchSharp must load here.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class NativeLoadingFixTests
{
    const string Version = "GLIBCXX_3.4.32";
    const ushort VerFlgWeak = 0x2;

    static string RestoredLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void LibTorchSharpNextToTheTests_IsLoadableOnThisHost()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(File.Exists(RestoredLibrary), $"{RestoredLibrary} is missing.");
        AssertWeakOrProvided(RestoredLibrary);
    }

    [Fact]
    public void LibTorchSharpThatTheProcessMapped_IsLoadableOnThisHost()
    {
        if (!OperatingSystem.IsLinux()) return;
        TorchRuntime.Initialize();
        string? mapped = MappedFiles().FirstOrDefault(p => Path.GetFileName(p) == "libLibTorchSharp.so");
        Assert.NotNull(mapped);
        AssertWeakOrProvided(mapped);
    }

    [Fact]
    public void ElfReader_FindsTheLibStdCxxRequirementsOfLibTorchSharp()
    {
        // Guards the reader itself: a parser that found nothing would make the checks above vacuous.
        if (!OperatingSystem.IsLinux()) return;
        var needs = ElfVersionNeeds.Read(File.ReadAllBytes(RestoredLibrary));
        Assert.Contains(needs, n => n.Library.StartsWith("libstdc++.so", StringComparison.Ordinal) && n.Version == "GLIBCXX_3.4");
        Assert.Contains(needs, n => n.Library.StartsWith("libc.so", StringComparison.Ordinal) && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
        Assert.Single(needs, n => n.Version == Version);
    }

    static void AssertWeakOrProvided(string library)
    {
        var need = ElfVersionNeeds.Read(File.ReadAllBytes(library)).Single(n => n.Version == Version);
        bool weak = (need.Flags & VerFlgWeak) != 0;
        bool provided = HostProvides(Version);
        Assert.True(weak || provided,
            $"{library} requires {Version} (vna_flags 0x{need.Flags:X4}, not weak) and the host libstdc++ does not provide it: the build's patch did not run.");
    }

    static bool HostProvides(string version)
    {
        string? libstdcxx = MappedFiles().FirstOrDefault(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));
        Assert.NotNull(libstdcxx);
        byte[] bytes = File.ReadAllBytes(libstdcxx);
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
    }

    static IEnumerable<string> MappedFiles() => File.ReadLines("/proc/self/maps")
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(fields => fields.Length >= 6 && fields[5].StartsWith('/'))
        .Select(fields => fields[5])
        .Distinct();
}
