using System.Globalization;
using System.Text;

namespace Unified.Core.Logging;

/// <summary>
/// Numbers written the way Python writes them, so that files match what Lightning writes: <c>repr(float)</c>
/// (shortest round-trip digits; scientific below 1e-4 and from 1e16) and PyYAML's float style.
/// </summary>
internal static class PythonFormat
{
    /// <summary>Python's <c>repr(x)</c> of a float: <c>0.1</c>, <c>1.0</c>, <c>1e-05</c>, <c>1e+16</c>, <c>nan</c>, <c>inf</c>.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        var (digits, point) = ShortestDigits(Math.Abs(value));
        var text = new StringBuilder();
        if (value < 0) text.Append('-');
        // Python's float_repr_style 'short': fixed notation while -4 < point <= 16 (point = decimal exponent + 1).
        if (point > -4 && point <= 16)
        {
            if (point <= 0) text.Append("0.").Append('0', -point).Append(digits);
            else if (point >= digits.Length) text.Append(digits).Append('0', point - digits.Length).Append(".0");
            else text.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        }
        else
        {
            text.Append(digits[0]);
            if (digits.Length > 1) text.Append('.').Append(digits, 1, digits.Length - 1);
            int exponent = point - 1;
            text.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>PyYAML's float: <c>repr</c> with <c>.0</c> before a bare exponent, and <c>.nan</c> / <c>.inf</c>.</summary>
    public static string YamlFloat(double value)
    {
        if (double.IsNaN(value)) return ".nan";
        if (double.IsInfinity(value)) return value > 0 ? ".inf" : "-.inf";
        string repr = Float(value);
        int e = repr.IndexOf('e', StringComparison.Ordinal);
        return e >= 0 && repr.IndexOf('.', StringComparison.Ordinal) < 0 ? repr[..e] + ".0" + repr[e..] : repr;
    }

    /// <summary>The shortest digits that round-trip (no leading or trailing zeros) and the decimal point's position.</summary>
    static (string Digits, int Point) ShortestDigits(double positive)
    {
        // .NET's "R" is shortest round-trip too; only its layout differs from Python's.
        string r = positive.ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string integer = dot < 0 ? r : r[..dot], fraction = dot < 0 ? "" : r[(dot + 1)..];
        string all = integer + fraction;
        int point = integer.Length + exponent;
        int leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0') leading++;
        all = all[leading..];
        point -= leading;
        return (all.TrimEnd('0') is { Length: > 0 } trimmed ? trimmed : "0", point);
    }
}
