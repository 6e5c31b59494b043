using System.Globalization;

namespace Unified.Core.Checkpointing;

/// <summary>
/// A checkpoint format version, <c>major.minor</c>: a new minor only adds entries that older readers may ignore; a new
/// major changes meaning and needs an upgrade step (<see cref="CheckpointUpgrades"/>) to be read.
/// </summary>
public readonly record struct CheckpointVersion(int Major, int Minor) : IComparable<CheckpointVersion>
{
    /// <summary>Parses <c>"1.0"</c>; returns false for anything else.</summary>
    public static bool TryParse(string text, out CheckpointVersion version)
    {
        version = default;
        var parts = text.Split('.');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor)) return false;
        version = new CheckpointVersion(major, minor);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(CheckpointVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");
}
