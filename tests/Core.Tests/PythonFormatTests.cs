using System.Globalization;
using Unified.Core.Logging;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class PythonFormatTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(2.5e300, "2.5e+300")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void Float_WritesPythonsRepr(double value, string expected) => Assert.Equal(expected, PythonFormat.Float(value));

    [Theory]
    [InlineData(0.001, "0.001")]
    [InlineData(1e-05, "1.0e-05")]
    [InlineData(2.5e-05, "2.5e-05")]
    [InlineData(3.0, "3.0")]
    [InlineData(double.NaN, ".nan")]
    [InlineData(double.NegativeInfinity, "-.inf")]
    public void YamlFloat_WritesPyYamlsStyle(double value, string expected) => Assert.Equal(expected, PythonFormat.YamlFloat(value));

    [SkippableFact]
    public void Float_MatchesDebianPythonOnRandomValues()
    {
        DebianPython.SkipUnlessAvailable("json");
        var random = new Random(7);
        var values = Enumerable.Range(0, 300).Select(i => i % 3 switch
        {
            0 => random.NextDouble() * Math.Pow(10, random.Next(-12, 20)),
            1 => -random.NextDouble() * Math.Pow(10, random.Next(-6, 6)),
            _ => BitConverter.Int64BitsToDouble(random.NextInt64(0x0010000000000000, 0x7FEFFFFFFFFFFFFF)),
        }).Append(float.Epsilon).Append((double)(float)0.1).ToArray();
        // Python reads the exact bits, so the comparison is about the formatting only.
        string bits = string.Join(" ", values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString(CultureInfo.InvariantCulture)));
        var (code, output, error) = DebianPython.Run("-c",
            "import struct,sys\nfor b in sys.argv[1].split(): print(repr(struct.unpack('<d', struct.pack('<q', int(b)))[0]))", bits);

        Assert.True(code == 0, error);
        Assert.Equal(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), values.Select(PythonFormat.Float));
    }
}
