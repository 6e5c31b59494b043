using Unified.Core.Data;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class IdxFileTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static string Bundled(string name) => Path.Combine(DigitsDataModule.BundledDirectory, name);

    [Fact]
    public void Read_BundledImages_Has10000ImagesOf28x28()
    {
        var (shape, data) = IdxFile.Read(Bundled("digits10k-images-idx3-ubyte.gz"));

        Assert.Equal(new[] { 10000, 28, 28 }, shape);
        Assert.Equal(10000 * 28 * 28, data.Length);
        Assert.Contains(data, b => b == 255);
        Assert.Contains(data, b => b == 0);
    }

    [Fact]
    public void Read_BundledLabels_Has10000LabelsFrom0To9WithTheDocumentedCounts()
    {
        var (shape, data) = IdxFile.Read(Bundled("digits10k-labels-idx1-ubyte.gz"));

        Assert.Equal(new[] { 10000 }, shape);
        var counts = data.GroupBy(b => b).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
        // Class counts from data/README.md.
        Assert.Equal(new[] { 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 }, counts);
    }

    [Fact]
    public void Read_PlainAndGzipFiles_GiveTheSameContents()
    {
        byte[] data = Enumerable.Range(0, 2 * 3 * 5).Select(i => (byte)(i * 7)).ToArray();
        byte[] idx = IdxFixture.Bytes([2, 3, 5], data);
        IdxFixture.Write(temp.File("plain-images-idx3-ubyte"), idx);
        IdxFixture.Write(temp.File("packed-images-idx3-ubyte.gz"), idx);

        var plain = IdxFile.Read(temp.File("plain-images-idx3-ubyte"));
        var packed = IdxFile.Read(temp.File("packed-images-idx3-ubyte.gz"));

        Assert.Equal(new[] { 2, 3, 5 }, plain.Shape);
        Assert.Equal(data, plain.Data);
        Assert.Equal(plain.Shape, packed.Shape);
        Assert.Equal(plain.Data, packed.Data);
    }

    [Theory]
    [InlineData(".gz")]
    [InlineData("")]
    public void Read_WrongMagic_ThrowsInvalidDataNamingTheFile(string suffix)
    {
        string path = temp.File("bad" + suffix);
        byte[] idx = IdxFixture.Bytes([3], [1, 2, 3]);
        idx[0] = 0x12;
        IdxFixture.Write(path, idx);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not an IDX file", e.Message);
    }

    [Fact]
    public void Read_UnsupportedTypeCode_ThrowsInvalidDataNamingTheTypeAndFile()
    {
        string path = temp.File("floats");
        IdxFixture.Write(path, IdxFixture.Bytes([1], [0, 0, 0, 0], typeCode: 0x0D));

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x0D", e.Message);
    }

    [Fact]
    public void Read_TruncatedData_ThrowsInvalidDataSayingTruncated()
    {
        string path = temp.File("short.gz");
        IdxFixture.Write(path, IdxFixture.Bytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7]));

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Read_TruncatedHeader_ThrowsInvalidData()
    {
        string path = temp.File("header");
        IdxFixture.Write(path, [0, 0, 0x08, 3, 0, 0, 0, 2]);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated IDX header", e.Message);
    }

    [Fact]
    public void Read_TrailingBytes_ThrowsInvalidDataSayingTrailing()
    {
        string path = temp.File("long");
        IdxFixture.Write(path, IdxFixture.Bytes([2], [1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("trailing bytes", e.Message);
    }

    [Fact]
    public void Read_DamagedGzip_ThrowsInvalidDataNamingTheFile()
    {
        string path = temp.File("damaged.gz");
        IdxFixture.Write(path, IdxFixture.Bytes([100], new byte[100]));
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFoundNamingTheFile()
    {
        string path = temp.File("nope-images-idx3-ubyte.gz");

        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }
}
