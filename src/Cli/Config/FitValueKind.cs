namespace Unified.Cli.Config;

/// <summary>The type of a <see cref="FitKey"/>'s value, which says how a flag or a config value is read.</summary>
public enum FitValueKind
{
    /// <summary>A whole number (32-bit).</summary>
    Integer,

    /// <summary>A whole number (64-bit).</summary>
    Long,

    /// <summary>A floating-point number.</summary>
    Number,

    /// <summary>true or false (a flag without a value on the command line).</summary>
    Boolean,

    /// <summary>A string.</summary>
    Text,

    /// <summary>A list of names: a YAML/JSON sequence, or one comma-separated string.</summary>
    List,
}
