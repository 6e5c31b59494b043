namespace Unified.Cli.Evaluate;

/// <summary>What <c>unified validate|test|predict</c> was asked for.</summary>
public sealed record EvaluateSettings
{
    /// <summary><c>validate</c>, <c>test</c> or <c>predict</c>.</summary>
    public required string Stage { get; init; }

    /// <summary>The checkpoint whose weights are evaluated.</summary>
    public required string Checkpoint { get; init; }

    /// <summary>Front-end: lightning (Trainer.Validate/Test/Predict) or ignite (an evaluator engine).</summary>
    public string Framework { get; init; } = "lightning";

    /// <summary>The model the checkpoint holds; null: the one it records (else mlp).</summary>
    public string? Model { get; init; }

    /// <summary>"digits" or a path to MNIST IDX files.</summary>
    public string Data { get; init; } = "digits";

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The test split's share; null: the one the checkpoint's fit held out (else 0.1 for test).</summary>
    public double? TestFraction { get; init; }

    /// <summary>The split predict reads: validation or test.</summary>
    public string Split { get; init; } = "validation";

    /// <summary>Where predict writes its CSV.</summary>
    public string? Output { get; init; }

    /// <summary>Whether predict may replace an existing <see cref="Output"/>.</summary>
    public bool Overwrite { get; init; }

    /// <summary>cpu, cuda or auto.</summary>
    public string Accelerator { get; init; } = "cpu";

    /// <summary>libtorch threads; null for libtorch's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Print the result as one JSON line at the end.</summary>
    public bool Json { get; init; }
}
