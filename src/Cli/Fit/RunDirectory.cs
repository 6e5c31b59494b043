namespace Unified.Cli.Fit;

/// <summary>Where a run's files go: the folder asked for, or the next free <c>runs/version_N</c> as Lightning numbers them.</summary>
public static class RunDirectory
{
    /// <summary>Creates and returns the run folder.</summary>
    public static string Create(string? requested, string root = "runs")
    {
        if (requested is not null) return Directory.CreateDirectory(requested).FullName;
        Directory.CreateDirectory(root);
        int next = Directory.GetDirectories(root, "version_*")
            .Select(d => int.TryParse(Path.GetFileName(d)["version_".Length..], out int n) ? n + 1 : 0)
            .DefaultIfEmpty(0).Max();
        // Another run may take the same number between the scan and the create: try the following ones.
        for (; ; next++)
        {
            string path = Path.Combine(root, $"version_{next}");
            if (!Directory.Exists(path)) return Directory.CreateDirectory(path).FullName;
        }
    }
}
