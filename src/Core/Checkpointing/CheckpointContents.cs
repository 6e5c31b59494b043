using Unified.Core.State;

namespace Unified.Core.Checkpointing;

/// <summary>A loaded, verified checkpoint: one <see cref="StateDict"/> per part. Owns the tensors; dispose after restoring.</summary>
public sealed class CheckpointContents(IReadOnlyDictionary<string, StateDict> parts, CheckpointVersion fileVersion, string libraryVersion, string source) : IDisposable
{
    /// <summary>The parts by name, in saved order.</summary>
    public IReadOnlyDictionary<string, StateDict> Parts { get; } = parts;

    /// <summary>The format version of the file as written (before any upgrade).</summary>
    public CheckpointVersion FileVersion { get; } = fileVersion;

    /// <summary>The library version that wrote the file.</summary>
    public string LibraryVersion { get; } = libraryVersion;

    /// <summary>Where the checkpoint came from.</summary>
    public string Source { get; } = source;

    /// <summary>The state of part <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">The checkpoint has no such part.</exception>
    public StateDict Part(string name) => Parts.TryGetValue(name, out var part)
        ? part
        : throw new InvalidDataException($"Checkpoint '{Source}' has no part '{name}'; it has [{string.Join(", ", Parts.Keys)}]. Was it saved by another kind of run?");

    /// <summary>
    /// Loads each target's part into it. Every target needs its part; parts without a target are ignored (as Lightning
    /// ignores state of callbacks that are not there).
    /// </summary>
    public void Restore(IReadOnlyDictionary<string, IStateful> targets)
    {
        var missing = targets.Keys.Where(k => !Parts.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"Checkpoint '{Source}' lacks the parts [{string.Join(", ", missing)}] needed to resume; it has [{string.Join(", ", Parts.Keys)}].");
        foreach (var (name, target) in targets)
        {
            try
            {
                target.LoadStateDict(Parts[name]);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Checkpoint '{Source}', part '{name}': {e.Message}", e);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var part in Parts.Values)
            foreach (var tensor in part.Tensors.Values) tensor.Dispose();
    }
}
