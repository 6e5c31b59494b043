using Microsoft.Extensions.Configuration;

namespace Unified.Cli.Config;

/// <summary>
/// A <c>unified fit --config</c> file (YAML or JSON, read through Microsoft.Extensions.Configuration) as values of
/// <see cref="FitKeys"/>. Unknown keys are refused with the closest valid one; values of the wrong type name their path.
/// </summary>
public static class FitConfigFile
{
    /// <summary>The values <paramref name="path"/> sets, by key.</summary>
    /// <exception cref="UsageException">The file is missing, not YAML/JSON, or holds an unknown key or a value of the wrong type.</exception>
    public static IReadOnlyDictionary<FitKey, object?> Load(string path)
    {
        if (Directory.Exists(path))
            throw new UsageException($"--config '{path}' is a folder; pass the file inside it, e.g. {Path.Combine(path, "config.yaml")}.");
        if (!File.Exists(path))
            throw new UsageException($"--config '{path}' does not exist; pass a YAML or JSON file, e.g. samples/Unified.Samples/run.yaml or a run folder's config.yaml.");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        var builder = new ConfigurationBuilder();
        string format = extension switch
        {
            ".yaml" or ".yml" => "YAML",
            ".json" => "JSON",
            _ => throw new UsageException($"--config '{path}': name the file .yaml, .yml or .json, so that its format is known."),
        };
        if (format == "YAML") builder.AddYamlFile(Path.GetFullPath(path), optional: false);
        else builder.AddJsonFile(Path.GetFullPath(path), optional: false);
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is not UsageException)
        {
            string reason = (e.InnerException ?? e).Message.Split('\n', 2)[0].Trim().TrimEnd('.');
            throw new UsageException($"--config '{path}' is not valid {format}: {reason}.");
        }
        var values = new Dictionary<FitKey, object?>();
        var lists = new Dictionary<FitKey, List<string>>();
        foreach (var (leaf, raw) in Leaves(root))
        {
            string where = $"{Dotted(leaf)} in '{path}'";
            if (Match(leaf) is not var (key, isElement))
            {
                if (IsSection(leaf) && string.IsNullOrWhiteSpace(raw)) continue; // "trainer:" with nothing under it is harmless
                throw Unknown(leaf, raw, path);
            }
            if (isElement)
            {
                if (!lists.TryGetValue(key, out var items)) lists[key] = items = [];
                items.AddRange((string[])FitValues.Read(key, raw, where, emptyIsNone: true)!);
            }
            else values[key] = FitValues.Read(key, raw, where, emptyIsNone: true);
        }
        foreach (var (key, items) in lists) values[key] = items;
        return values;
    }

    // Leaves of the configuration tree: a value, or an empty section / null (YAML "key:" or "key: null").
    static IEnumerable<(string[] Path, string? Value)> Leaves(IConfiguration node, string[]? prefix = null)
    {
        foreach (var child in node.GetChildren())
        {
            string[] path = [.. prefix ?? [], child.Key];
            var children = child.GetChildren().ToList();
            if (children.Count == 0) yield return (path, child.Value);
            else foreach (var leaf in Leaves(child, path)) yield return leaf;
        }
    }

    // The key a leaf sets, and whether it is one element of a list key (trainer:logger:0).
    static (FitKey, bool)? Match(string[] leaf)
    {
        if (FitKeys.Find(string.Join('.', leaf)) is { } key) return (key, false);
        if (leaf.Length > 1 && int.TryParse(leaf[^1], out _) && FitKeys.Find(string.Join('.', leaf[..^1])) is { Kind: FitValueKind.List } list) return (list, true);
        return null;
    }

    static UsageException Unknown(string[] leaf, string? raw, string path)
    {
        string dotted = Dotted(leaf);
        if (IsSection(leaf))
            return new UsageException($"--config '{path}': '{dotted}' is a section, not a value ('{raw}'); give its keys, e.g. " +
                $"{FitKeys.All.First(k => k.Path.StartsWith(dotted + ".", StringComparison.OrdinalIgnoreCase)).Path}.");
        string? closest = EditDistance.Closest(dotted, FitKeys.All.Select(k => k.Path));
        return new UsageException($"--config '{path}': unknown key '{dotted}'" +
            (closest is null ? "" : $"; did you mean '{closest}'?") + " (unified fit --print-config lists every key).");
    }

    static bool IsSection(string[] leaf) => FitKeys.All.Any(k => k.Path.StartsWith(Dotted(leaf) + ".", StringComparison.OrdinalIgnoreCase));

    static string Dotted(string[] leaf) => string.Join('.', leaf.Where((s, i) => !(i == leaf.Length - 1 && i > 0 && int.TryParse(s, out _))));
}
