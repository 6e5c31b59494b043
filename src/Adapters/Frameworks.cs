namespace Unified.Adapters;

/// <summary>The front-ends <see cref="UnifiedTrainer"/> can run.</summary>
public static class Frameworks
{
    /// <summary>The Lightning front-end (<c>Trainer</c> + <c>LightningModule</c>).</summary>
    public const string Lightning = "lightning";

    /// <summary>The Ignite front-end (<c>Engine</c> + <c>Supervised</c>).</summary>
    public const string Ignite = "ignite";

    /// <summary>Every valid name.</summary>
    public static IReadOnlyList<string> Names { get; } = [Lightning, Ignite];
}
