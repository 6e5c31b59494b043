namespace Unified.Core.Checkpointing;

/// <summary>The <c>__metadata__</c> keys of a Unified checkpoint (every value is a string, as safetensors requires).</summary>
public static class CheckpointKeys
{
    /// <summary>Always <see cref="FormatName"/> for a checkpoint.</summary>
    public const string Format = "format";

    /// <summary>The value of <see cref="Format"/>.</summary>
    public const string FormatName = "unified-checkpoint";

    /// <summary>The format version, <c>major.minor</c>.</summary>
    public const string FormatVersion = "format_version";

    /// <summary>The version of the library that wrote the file (informational).</summary>
    public const string LibraryVersion = "library_version";

    /// <summary>A JSON array of the part names, in the order they were saved.</summary>
    public const string Parts = "parts";

    /// <summary>A JSON object: part name → object of the part's JSON values.</summary>
    public const string State = "state";

    /// <summary>SHA-256 (lower-case hex) of the whole tensor data area.</summary>
    public const string DataSha256 = "data_sha256";

    /// <summary>SHA-256 of the header itself (<see cref="HeaderDigest"/>): names, shapes, dtypes, offsets and metadata.</summary>
    public const string HeaderSha256 = "header_sha256";

    /// <summary>The part whose tensors are stored under their plain names, so that Python's safetensors reads them as a state dict.</summary>
    public const string ModelPart = "model";
}
