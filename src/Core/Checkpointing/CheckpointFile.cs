using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// The checkpoint format of both front-ends: one safetensors file holding a named map of <see cref="IStateful"/> parts.
/// Tensors are stored as <c>part.key</c>, except the <c>model</c> part's, which keep their plain state-dict names so
/// that Python's <c>safetensors.torch.load_file</c> returns the model's state dict. JSON values, the part list, format
/// and library versions and the SHA-256 of the tensor data live in <c>__metadata__</c>. Writes are atomic; loads are
/// strict (<see cref="SafetensorsReader"/>), checksummed and versioned.
/// </summary>
/// <example><code>
/// CheckpointFile.Save("last.ckpt", new Dictionary&lt;string, IStateful&gt; { ["model"] = new ModuleState(net), ["optimizer"] = new OptimizerState(adam) });
/// using var contents = CheckpointFile.Load("last.ckpt");
/// contents.Restore(parts);
/// </code></example>
public static class CheckpointFile
{
    /// <summary>The format version this library writes and the newest it reads.</summary>
    public static CheckpointVersion CurrentVersion { get; } = new(1, 0);

    /// <summary>The library's version, recorded in every checkpoint.</summary>
    public static string LibraryVersion { get; } =
        typeof(CheckpointFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Saves the current state of every part to <paramref name="path"/> (atomically and durably).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, IStateful> parts)
    {
        using var snapshot = Snapshot(parts, copy: false);
        snapshot.WriteTo(path);
    }

    /// <summary>
    /// Takes the current state of every part for a later (or background) write: CPU clones of the tensors, so the next
    /// step may change the weights in place, and the metadata. Writing it gives the bytes <see cref="Save(string, IReadOnlyDictionary{string, IStateful})"/> writes.
    /// </summary>
    public static SafetensorsSnapshot Snapshot(IReadOnlyDictionary<string, IStateful> parts, bool copy = true)
    {
        // Parts may create tensors for their state (the RNG state is a fresh copy); the scope frees those, not live ones.
        using var scope = NewDisposeScope();
        return Snapshot(parts.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.StateDict())).ToList(), copy);
    }

    /// <summary>Saves already-collected part states to <paramref name="path"/> (atomically and durably).</summary>
    /// <exception cref="ArgumentException">A part name is empty or has a dot, or a model tensor's name starts with another part's name.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, StateDict>> parts)
    {
        using var snapshot = Snapshot(parts, copy: false);
        snapshot.WriteTo(path);
    }

    /// <summary>Takes already-collected part states for a later (or background) write; see <see cref="Snapshot(IReadOnlyDictionary{string, IStateful}, bool)"/>.</summary>
    /// <exception cref="ArgumentException">A part name is empty or has a dot, or a model tensor's name starts with another part's name.</exception>
    public static SafetensorsSnapshot Snapshot(IEnumerable<KeyValuePair<string, StateDict>> parts, bool copy = true)
    {
        var list = parts.ToList();
        var names = list.Select(p => p.Key).ToList();
        foreach (string name in names)
            if (string.IsNullOrEmpty(name) || name.Contains('.'))
                throw new ArgumentException($"Checkpoint part name '{name}' must be non-empty and without dots.", nameof(parts));
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException($"Checkpoint part names must be distinct: {string.Join(", ", names)}.", nameof(parts));

        var tensors = new List<KeyValuePair<string, Tensor>>();
        var values = new JsonObject();
        foreach (var (name, state) in list)
        {
            var partValues = new JsonObject();
            foreach (var (key, value) in state.Values) partValues[key] = value?.DeepClone();
            values[name] = partValues;
            foreach (var (key, tensor) in state.Tensors)
            {
                if (name == CheckpointKeys.ModelPart && OwnerOf(key, names) is { } other)
                    throw new ArgumentException($"Model tensor '{key}' starts with the name of checkpoint part '{other}.'; rename that part.", nameof(parts));
                tensors.Add(KeyValuePair.Create(name == CheckpointKeys.ModelPart ? key : $"{name}.{key}", tensor));
            }
        }
        var metadata = new Dictionary<string, string>
        {
            [CheckpointKeys.Format] = CheckpointKeys.FormatName,
            [CheckpointKeys.FormatVersion] = CurrentVersion.ToString(),
            [CheckpointKeys.LibraryVersion] = LibraryVersion,
            [CheckpointKeys.Parts] = new JsonArray(names.Select(n => (JsonNode?)n).ToArray()).ToJsonString(),
            [CheckpointKeys.State] = values.ToJsonString(),
        };
        return SafetensorsWriter.Snapshot(tensors, metadata, CheckpointKeys.DataSha256, CheckpointKeys.HeaderSha256, copy);
    }

    /// <summary>Loads, verifies and (for older versions) upgrades the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The layout or the metadata is invalid.</exception>
    /// <exception cref="CheckpointChecksumException">The tensor data does not match its recorded SHA-256.</exception>
    /// <exception cref="CheckpointVersionException">The file's major format version is newer than <see cref="CurrentVersion"/>.</exception>
    public static CheckpointContents Load(string path)
    {
        using var stream = SafetensorsReader.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a checkpoint from a seekable <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static CheckpointContents Load(Stream stream, string source)
    {
        var header = SafetensorsReader.ReadHeader(stream, source);
        var metadata = new Dictionary<string, string>(header.Metadata, StringComparer.Ordinal);
        var version = VersionOf(metadata, source);
        string? expectedSha = null;
        if (version.Major >= 1)
        {
            expectedSha = Digest(metadata, CheckpointKeys.DataSha256, source);
            string headerSha = Digest(metadata, CheckpointKeys.HeaderSha256, source);
            if (!HeaderDigest.Verify(header.Json.Span, CheckpointKeys.HeaderSha256, headerSha))
                throw new CheckpointChecksumException(
                    $"'{source}' is damaged: its header (tensor names, shapes, dtypes, offsets or metadata) does not match the recorded '{CheckpointKeys.HeaderSha256}'. Use an older checkpoint.");
        }
        var file = SafetensorsReader.ReadData(stream, source, header);
        var tensors = file.Tensors.ToList();
        try
        {
            if (expectedSha is not null && expectedSha != file.DataSha256)
                throw new CheckpointChecksumException(
                    $"'{source}' is damaged: its tensor data hashes to {file.DataSha256} but the header records {expectedSha}. Use an older checkpoint.");
            CheckpointUpgrades.Apply(version, metadata, tensors);
            return Assemble(metadata, tensors, version, source);
        }
        catch
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
            throw;
        }
    }

    static string Digest(Dictionary<string, string> metadata, string key, string source)
    {
        string? digest = metadata.GetValueOrDefault(key);
        if (digest is null || digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower))
            throw new CheckpointFormatException($"'{source}' has no valid '{key}' (64 lower-case hex digits) in its metadata.");
        return digest;
    }

    static CheckpointVersion VersionOf(Dictionary<string, string> metadata, string source)
    {
        string? format = metadata.GetValueOrDefault(CheckpointKeys.Format);
        if (format == CheckpointUpgrades.Version0FormatName) return new CheckpointVersion(0, 0);
        if (format != CheckpointKeys.FormatName)
            throw new CheckpointFormatException(
                $"'{source}' is a safetensors file but not a Unified checkpoint (metadata format '{format ?? "(none)"}'); load plain weights with ModelWeights.Load instead.");
        if (!metadata.TryGetValue(CheckpointKeys.FormatVersion, out string? text) || !CheckpointVersion.TryParse(text, out var version))
            throw new CheckpointFormatException($"'{source}' has no valid '{CheckpointKeys.FormatVersion}' (major.minor) in its metadata.");
        if (version.Major > CurrentVersion.Major)
            throw new CheckpointVersionException(
                $"'{source}' uses checkpoint format {version}, written by a newer Unified ({metadata.GetValueOrDefault(CheckpointKeys.LibraryVersion, "unknown version")}); "
                + $"this library reads format {CurrentVersion} and older. Upgrade Unified to load it.", version.ToString(), CurrentVersion.ToString());
        return version;
    }

    static CheckpointContents Assemble(Dictionary<string, string> metadata, List<KeyValuePair<string, Tensor>> tensors, CheckpointVersion version, string source)
    {
        List<string> names;
        JsonObject values;
        try
        {
            names = JsonNode.Parse(metadata.GetValueOrDefault(CheckpointKeys.Parts, ""))!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            values = JsonNode.Parse(metadata.GetValueOrDefault(CheckpointKeys.State, ""))!.AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new CheckpointFormatException($"'{source}' has '{CheckpointKeys.Parts}' or '{CheckpointKeys.State}' metadata that is not the expected JSON ({e.Message}).", e);
        }
        if (names.Count == 0 || names.Any(n => string.IsNullOrEmpty(n) || n.Contains('.')) || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new CheckpointFormatException($"'{source}' lists invalid part names [{string.Join(", ", names)}]: they must be distinct, non-empty and without dots.");

        var parts = names.ToDictionary(n => n, _ => new StateDict(), StringComparer.Ordinal);
        foreach (var (key, node) in values)
        {
            if (!parts.TryGetValue(key, out var part) || node is not JsonObject partValues)
                throw new CheckpointFormatException($"'{source}' has state values for '{key}', which is not a listed part or not a JSON object.");
            foreach (var (valueKey, value) in partValues) part.Values[valueKey] = value?.DeepClone();
        }
        foreach (var (name, tensor) in tensors)
        {
            string? owner = OwnerOf(name, names);
            if (owner is not null) parts[owner].Tensors[name[(owner.Length + 1)..]] = tensor;
            else if (parts.TryGetValue(CheckpointKeys.ModelPart, out var model)) model.Tensors[name] = tensor;
            else throw new CheckpointFormatException($"'{source}' holds tensor '{name}', which belongs to none of its parts [{string.Join(", ", names)}].");
        }
        return new CheckpointContents(parts, version, metadata.GetValueOrDefault(CheckpointKeys.LibraryVersion, "unknown"), source);
    }

    static string? OwnerOf(string tensorName, IEnumerable<string> parts) =>
        parts.FirstOrDefault(p => p != CheckpointKeys.ModelPart && tensorName.StartsWith(p + ".", StringComparison.Ordinal));
}
