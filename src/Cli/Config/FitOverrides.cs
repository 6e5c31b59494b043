namespace Unified.Cli.Config;

/// <summary>
/// Dotted overrides on the <c>unified fit</c> command line (<c>--trainer.max_epochs 5</c>, <c>--data.batch_size=32</c>),
/// taken out of the arguments before the flags are parsed.
/// </summary>
/// <param name="Tokens">Each override as written: its name (without <c>--</c>) and its value, null when none followed.</param>
public sealed record FitOverrides(IReadOnlyList<(string Name, string? Value)> Tokens)
{
    /// <summary>No overrides.</summary>
    public static FitOverrides None { get; } = new([]);

    /// <summary>
    /// Splits <paramref name="args"/> into the dotted overrides and the rest. An option whose name holds a dot is an
    /// override; the next token is its value unless it starts with <c>--</c> (a boolean key then means true).
    /// </summary>
    public static FitOverrides Extract(string[] args, out string[] rest)
    {
        var tokens = new List<(string, string?)>();
        var others = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || !(arg.Split('=', 2)[0].Contains('.', StringComparison.Ordinal)))
            {
                others.Add(arg);
                continue;
            }
            string[] parts = arg[2..].Split('=', 2);
            if (parts.Length == 2) tokens.Add((parts[0], parts[1]));
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) tokens.Add((parts[0], args[++i]));
            else tokens.Add((parts[0], null));
        }
        rest = [.. others];
        return new FitOverrides(tokens);
    }

    /// <summary>The values the overrides set, by key.</summary>
    /// <exception cref="UsageException">An override names no key (the closest is suggested), lacks a value, or sets one key to two values.</exception>
    public IReadOnlyDictionary<FitKey, object?> Values()
    {
        var values = new Dictionary<FitKey, (object? Value, string Raw)>();
        foreach (var (name, raw) in Tokens)
        {
            var key = FitKeys.Find(name);
            if (key is null)
            {
                string? closest = EditDistance.Closest(name, FitKeys.All.Select(k => k.Path));
                throw new UsageException($"unknown option '--{name}'" + (closest is null ? "" : $"; did you mean '--{closest}'?") +
                    " (unified fit --print-config lists every key).");
            }
            string where = key.Override;
            string? text = raw ?? (key.Kind == FitValueKind.Boolean ? "true" : throw new UsageException($"{where} needs a value, e.g. {where} {FitValues.Write(key.Get(new Fit.FitSettings()))}."));
            object? value = FitValues.Read(key, text, where);
            if (values.TryGetValue(key, out var earlier) && FitValues.Write(earlier.Value) != FitValues.Write(value))
                throw new UsageException($"{where} is given twice, as '{earlier.Raw}' and '{text}'; give it once.");
            values[key] = (value, text);
        }
        return values.ToDictionary(v => v.Key, v => v.Value.Value);
    }
}
