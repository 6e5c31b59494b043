using static TorchSharp.torch;

namespace Unified.Core.Data;

/// <summary>
/// Handwritten digits in MNIST's IDX format: the bundled 10,000 real MNIST digits by default, or any MNIST-format
/// files. Pixels are scaled to [0, 1]; the first samples train, the last <see cref="DigitsDataOptions.ValidationFraction"/> validate,
/// and an opt-in <see cref="DigitsDataOptions.TestFraction"/> just before them test.
/// </summary>
public sealed class DigitsDataModule : IDataModule, IDisposable
{
    /// <summary>The folder where the bundled digits are copied next to the application.</summary>
    public static string BundledDirectory => System.IO.Path.Combine(AppContext.BaseDirectory, "data");

    readonly TensorDataLoader train;
    readonly TensorDataLoader? validation;
    readonly TensorDataLoader? test;

    /// <summary>Loads the data; throws a clear error for a missing, malformed or mismatched file.</summary>
    /// <example><code>using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });</code></example>
    public DigitsDataModule(DigitsDataOptions? options = null)
    {
        options ??= new DigitsDataOptions();
        options.Validate();
        var (imagesPath, labelsPath) = LocateFiles(options.Path);
        var (imageShape, pixels) = IdxFile.Read(imagesPath);
        var (labelShape, labels) = IdxFile.Read(labelsPath);
        if (imageShape.Length != 3)
            throw new InvalidDataException($"'{imagesPath}' has {imageShape.Length} dimensions; an images file has 3 (count x rows x columns).");
        if (labelShape.Length != 1 || labelShape[0] != imageShape[0])
            throw new InvalidDataException($"'{labelsPath}' holds {string.Join("x", labelShape)} labels for {imageShape[0]} images in '{imagesPath}'; they must match one to one.");
        int count = imageShape[0];
        if (count == 0) throw new InvalidDataException($"'{imagesPath}' holds no samples: the dataset is empty.");
        if (imageShape[1] == 0 || imageShape[2] == 0)
            throw new InvalidDataException($"'{imagesPath}' holds {imageShape[1]}x{imageShape[2]} images: an image needs at least one pixel.");
        if (options.ImageSize is { } size && (imageShape[1] != size.Rows || imageShape[2] != size.Columns))
            throw new InvalidDataException($"'{imagesPath}' holds {imageShape[1]}x{imageShape[2]} images, but the model takes {size.Rows}x{size.Columns}; resize the images or use a model for their size.");
        if (options.ClassCount is int classes && Array.FindIndex(labels, l => l >= classes) is var bad and >= 0)
            throw new InvalidDataException($"'{labelsPath}' has label {labels[bad]} at sample {bad}, but the model predicts {classes} classes (labels 0..{classes - 1}); fix the labels or use a model with more classes.");
        int validationStart = count - (int)Math.Round(count * options.ValidationFraction);
        int testCount = (int)Math.Round(count * options.TestFraction);
        int trainCount = validationStart - testCount;
        if (trainCount < 1) throw new InvalidDataException($"Validation fraction {options.ValidationFraction} leaves no training samples of {count}.");

        long[] sampleShape = options.Layout == InputLayout.Image
            ? [count, 1, imageShape[1], imageShape[2]]
            : [count, (long)imageShape[1] * imageShape[2]];
        using var bytes = tensor(pixels, ScalarType.Byte).reshape(sampleShape);
        using var images = bytes.to_type(ScalarType.Float32).div_(255f);
        using var targets = tensor(labels, ScalarType.Byte).to_type(ScalarType.Int64);
        InputShape = sampleShape[1..];
        ClassCount = options.ClassCount ?? labels.Max() + 1;

        train = new TensorDataLoader(images.narrow(0, 0, trainCount).clone(), targets.narrow(0, 0, trainCount).clone(),
            options.BatchSize, shuffle: true, options.Seed);
        if (validationStart < count)
            validation = new TensorDataLoader(images.narrow(0, validationStart, count - validationStart).clone(),
                targets.narrow(0, validationStart, count - validationStart).clone(), options.BatchSize, shuffle: false, options.Seed);
        if (testCount > 0)
            test = new TensorDataLoader(images.narrow(0, trainCount, testCount).clone(),
                targets.narrow(0, trainCount, testCount).clone(), options.BatchSize, shuffle: false, options.Seed);
    }

    /// <inheritdoc />
    public IBatchLoader? Test => test;

    /// <inheritdoc />
    public IBatchLoader Train => train;

    /// <inheritdoc />
    public IBatchLoader? Validation => validation;

    /// <summary>The shape of one sample (784, or 1x28x28).</summary>
    public long[] InputShape { get; }

    /// <summary>Number of classes: <see cref="DigitsDataOptions.ClassCount"/>, else the largest label + 1.</summary>
    public int ClassCount { get; }

    static (string Images, string Labels) LocateFiles(string? path)
    {
        path ??= BundledDirectory;
        if (File.Exists(path)) return (path, LabelsFor(path));
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"Data path '{path}' does not exist. Pass an IDX images file, a folder with MNIST IDX files, or omit it for the bundled digits.", path);
        var images = Directory.GetFiles(path, "*images-idx3-ubyte*").Where(IsIdx).Order().ToList();
        if (images.Count > 1) images = images.Where(f => System.IO.Path.GetFileName(f).StartsWith("train-", StringComparison.Ordinal)).ToList();
        if (images.Count != 1)
            throw new FileNotFoundException($"Folder '{path}' must hold exactly one '*images-idx3-ubyte[.gz]' file (or a 'train-' one among several); found {images.Count}.", path);
        return (images[0], LabelsFor(images[0]));
    }

    static bool IsIdx(string file) => file.EndsWith("ubyte", StringComparison.Ordinal) || file.EndsWith("ubyte.gz", StringComparison.Ordinal);

    static string LabelsFor(string imagesPath)
    {
        string name = System.IO.Path.GetFileName(imagesPath);
        if (!name.Contains("images-idx3", StringComparison.Ordinal))
            throw new ArgumentException($"'{imagesPath}' is not named like an IDX images file ('*images-idx3-ubyte[.gz]'), so its labels file cannot be found.", nameof(imagesPath));
        string labels = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(imagesPath)!, name.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        if (!File.Exists(labels)) throw new FileNotFoundException($"Labels file '{labels}' for '{imagesPath}' does not exist.", labels);
        return labels;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        train.Dispose();
        validation?.Dispose();
        test?.Dispose();
    }
}
