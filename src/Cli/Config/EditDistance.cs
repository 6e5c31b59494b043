namespace Unified.Cli.Config;

/// <summary>Levenshtein distance, to suggest the closest valid key for a misspelt one.</summary>
public static class EditDistance
{
    /// <summary>Insertions, deletions and substitutions that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Between(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>The candidate nearest to <paramref name="word"/>, or null when none is within half its length (then a hint would mislead).</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Candidate: c, Distance: Between(word, c))).OrderBy(c => c.Distance).ThenBy(c => c.Candidate, StringComparer.Ordinal).FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, word.Length / 2) ? best.Candidate : null;
    }
}
