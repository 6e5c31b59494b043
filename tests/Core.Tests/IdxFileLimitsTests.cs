using System.IO.Compression;
using Unified.Core.Data;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>IDX files that once escaped as crashes or filled memory (issue 10): each is refused naming the file.</summary>
public sealed class IdxFileLimitsTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void SizesWhoseProductOverflows_AreAHeaderError_NotAnOverflow()
    {
        string path = temp.File("x-images-idx3-ubyte");
        IdxFixture.Write(path, IdxFixture.Bytes([65536, 65536, 65536], []));

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("the header is damaged", error.Message);
    }

    [Fact]
    public void AGzipBomb_IsRefusedAfterTheDeclaredSize_NamingTheFile()
    {
        string path = temp.File("bomb-images-idx3-ubyte.gz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
        {
            gzip.Write(IdxFixture.Bytes([1, 2, 2], [1, 2, 3, 4]));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) gzip.Write(zeros); // 256 MB unpacked
        }

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("trailing bytes", error.Message);
    }

    [Fact]
    public void ADeviceOfEndlessZeros_IsRefusedFromItsHeader()
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read("/dev/zero"));

        Assert.Contains("/dev/zero", error.Message);
    }

    [Fact]
    public void ZeroPixelImages_AndLabelsBeyondTheClasses_AreRefusedAtLoad()
    {
        IdxFixture.WritePair(temp.Path, "empty", count: 4, rows: 28, columns: 0);
        var (images, labels) = IdxFixture.WritePair(temp.Path, "many", count: 12, rows: 4, columns: 4);
        var bytes = File.ReadAllBytes(labels);
        bytes[^1] = 10; // sample 11

        File.WriteAllBytes(labels, bytes);
        var empty = Assert.Throws<InvalidDataException>(() => new DigitsDataModule(new DigitsDataOptions { Path = temp.File("empty-images-idx3-ubyte") }));
        var label = Assert.Throws<InvalidDataException>(() => new DigitsDataModule(new DigitsDataOptions { Path = images, ClassCount = 10 }));
        var size = Assert.Throws<InvalidDataException>(() => new DigitsDataModule(new DigitsDataOptions { Path = images, ImageSize = (28, 28) }));

        Assert.Contains("28x0 images", empty.Message);
        Assert.Contains("label 10 at sample 11", label.Message);
        Assert.Contains("holds 4x4 images, but the model takes 28x28", size.Message);
        using var any = new DigitsDataModule(new DigitsDataOptions { Path = images, ValidationFraction = 0 });
        Assert.Equal(11, any.ClassCount); // without ClassCount: the largest label + 1, as before
    }
}
