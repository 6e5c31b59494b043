using System.Text;
using Unified.Cli.Fit;

namespace Unified.Cli.Config;

/// <summary>Writes resolved <see cref="FitSettings"/> as the YAML that <c>unified fit --config</c> reads back.</summary>
public static class FitConfigWriter
{
    /// <summary>
    /// The YAML of <paramref name="settings"/>, every key of <see cref="FitKeys.All"/> in order. With
    /// <paramref name="forRunFolder"/> the keys of one invocation (run folder, resumed checkpoint) are written as null,
    /// so that <c>--config runs/version_N/config.yaml</c> repeats the run in a new folder.
    /// </summary>
    public static string ToYaml(FitSettings settings, bool forRunFolder = false)
    {
        var text = new StringBuilder();
        text.Append(forRunFolder
            ? "# The resolved configuration of this run; repeat it with: unified fit --config THIS_FILE\n"
            : "# The resolved configuration (unified fit --print-config); save it and run: unified fit --config FILE\n");
        string[] open = [];
        foreach (var key in FitKeys.All)
        {
            string[] segments = key.Path.Split('.');
            int shared = 0;
            while (shared < open.Length && shared < segments.Length - 1 && open[shared] == segments[shared]) shared++;
            for (int depth = shared; depth < segments.Length - 1; depth++)
                text.Append(' ', depth * 2).Append(segments[depth]).Append(":\n");
            open = segments[..^1];
            object? value = forRunFolder && !key.Saved ? null : key.Get(settings);
            text.Append(' ', (segments.Length - 1) * 2).Append(segments[^1]).Append(": ").Append(FitValues.Write(value)).Append('\n');
        }
        return text.ToString();
    }
}
