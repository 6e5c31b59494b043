using Unified.Core.Checkpointing;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class AtomicFileTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Write_CreatesTheFileWithTheWrittenBytesAndNothingElse()
    {
        string path = temp.File("out.bin");

        AtomicFile.Write(path, s => s.Write([1, 2, 3]));

        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { "out.bin" }, temp.FileNames());
    }

    [Fact]
    public void Write_CreatesMissingFolders()
    {
        string path = Path.Combine(temp.Path, "a", "b", "out.bin");

        AtomicFile.Write(path, s => s.WriteByte(9));

        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
    }

    [Fact]
    public void ThrowingWriter_LeavesNoFileAndNoTemporaryFile()
    {
        string path = temp.File("out.bin");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new IOException("disk full");
        }));

        Assert.Equal("disk full", e.Message);
        Assert.Empty(temp.FileNames());
    }

    [Fact]
    public void ThrowingWriter_LeavesTheExistingFileIntact()
    {
        string path = temp.File("out.bin");
        File.WriteAllBytes(path, [7, 7, 7]);

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([1, 2]);
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal(new byte[] { 7, 7, 7 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { "out.bin" }, temp.FileNames());
    }

    [Fact]
    public void Write_ReplacesAnExistingFile()
    {
        string path = temp.File("out.bin");
        File.WriteAllBytes(path, new byte[100]);

        AtomicFile.Write(path, s => s.Write([4, 5]));

        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { "out.bin" }, temp.FileNames());
    }

    [Fact]
    public void RemoveStaleTemporaries_DeletesOnlyTemporariesOfProcessesThatAreGone()
    {
        File.WriteAllBytes(temp.File(".last.ckpt.999999999.0123456789abcdef.tmp"), [1]);
        File.WriteAllBytes(temp.File($".last.ckpt.{Environment.ProcessId}.0123456789abcdef.tmp"), [1]);
        File.WriteAllBytes(temp.File("last.ckpt"), [1]);

        int removed = AtomicFile.RemoveStaleTemporaries(temp.Path);

        Assert.Equal(1, removed);
        Assert.Equal(new[] { $".last.ckpt.{Environment.ProcessId}.0123456789abcdef.tmp", "last.ckpt" }, temp.FileNames());
    }
}
