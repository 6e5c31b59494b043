using Unified.Cli.Fit;

namespace Unified.Cli.Config;

/// <summary>
/// One setting of <c>unified fit</c>: its dotted config path (<c>trainer.max_epochs</c>), its flag (<c>--epochs</c>),
/// its type, and how it reads and sets <see cref="FitSettings"/>. The flags, the config file and the dotted overrides
/// all go through these, so a setting is declared once.
/// </summary>
/// <param name="Path">Dotted path in the config file, lower snake_case as LightningCLI spells it.</param>
/// <param name="Flag">The command-line flag that sets the same value.</param>
/// <param name="Kind">How a value is read.</param>
/// <param name="Nullable">Whether <c>null</c> (or an empty value) is allowed: "off" or "default".</param>
/// <param name="Description">Help text of the flag.</param>
/// <param name="Get">Reads the value from settings.</param>
/// <param name="Set">Returns settings with the value set.</param>
public sealed record FitKey(
    string Path,
    string Flag,
    FitValueKind Kind,
    bool Nullable,
    string Description,
    Func<FitSettings, object?> Get,
    Func<FitSettings, object?, FitSettings> Set)
{
    /// <summary>Whether the saved config.yaml records the value; the run folder and the resumed checkpoint belong to one invocation.</summary>
    public bool Saved { get; init; } = true;

    /// <summary>The dotted-override spelling, <c>--trainer.max_epochs</c>.</summary>
    public string Override => "--" + Path;
}
