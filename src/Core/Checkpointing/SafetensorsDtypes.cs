using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>The safetensors dtype names this library reads and writes, and their element sizes.</summary>
public static class SafetensorsDtypes
{
    static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>Every known dtype name, for error messages.</summary>
    public static IEnumerable<string> Names => Table.Select(t => t.Name);

    /// <summary>The safetensors name of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">Safetensors cannot store the type (e.g. complex numbers).</exception>
    public static string NameOf(ScalarType type, string tensorName = "")
    {
        foreach (var entry in Table)
            if (entry.Type == type) return entry.Name;
        throw new NotSupportedException($"Tensor '{tensorName}' has dtype {type}, which safetensors cannot store.");
    }

    /// <summary>Looks up a dtype name (case-sensitive, as the format defines it).</summary>
    public static bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        foreach (var entry in Table)
            if (entry.Name == name)
            {
                (type, elementSize) = (entry.Type, entry.Size);
                return true;
            }
        (type, elementSize) = (default, 0);
        return false;
    }
}
