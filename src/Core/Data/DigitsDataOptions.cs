namespace Unified.Core.Data;

/// <summary>Options of <see cref="DigitsDataModule"/>; defaults train on the bundled 10,000 digits.</summary>
public sealed class DigitsDataOptions
{
    /// <summary>
    /// An IDX images file (its labels file is found by name: <c>images-idx3</c> → <c>labels-idx1</c>), a folder that
    /// holds one images and one labels file (the <c>train-</c> pair wins in a full MNIST folder), or null for the bundled digits.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Samples per batch (default 64).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Seed of the per-epoch shuffling (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Share of samples, taken from the end, held out for validation (default 0.2: 8,000 / 2,000 of the bundled set).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>
    /// Share of samples held out for testing (default 0: none), taken just before the validation samples, so that the
    /// validation split stays the same; the training split shrinks by as many samples.
    /// </summary>
    public double TestFraction { get; set; }

    /// <summary>Flat vectors for an MLP, or 1x28x28 images for a CNN.</summary>
    public InputLayout Layout { get; set; } = InputLayout.Flat;

    /// <summary>The classes the model predicts: every label must be below it (checked at load, naming the first bad label); null accepts any label.</summary>
    public int? ClassCount { get; set; }

    /// <summary>The image size the model takes (rows, columns), checked at load; null accepts any size.</summary>
    public (int Rows, int Columns)? ImageSize { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be a positive integer.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Validation fraction must be in [0, 1).");
        if (ClassCount is < 1) throw new ArgumentOutOfRangeException(nameof(ClassCount), ClassCount, "ClassCount must be a positive integer (or null for any label).");
        if (ImageSize is { } size && (size.Rows < 1 || size.Columns < 1))
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "ImageSize must be positive (or null for any size).");
        if (!(TestFraction >= 0 && TestFraction + ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "Test fraction must be 0 or more, and with the validation fraction below 1.");
    }
}
