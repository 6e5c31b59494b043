using System.Globalization;
using Unified.Core.Data;
using Unified.Core.Logging.Csv;
using Unified.Core.Models;
using Unified.Core.Runtime;

namespace Unified.Lightning.Tests;

/// <summary>What the built-in callback tests share: a seeded digits MLP, small trainer options, the CSV logger's rows.</summary>
internal static class CallbackKit
{
    public static ClassificationModule Mlp(double lr = 1e-3, long seed = 42)
    {
        Seed.Everything(seed);
        return new ClassificationModule(new DigitsMlp(), lr);
    }

    public static DigitsDataModule Digits(int batchSize = 64) => new(new DigitsDataOptions { BatchSize = batchSize, Seed = 42 });

    public static TrainerOptions Options(int maxEpochs = 2, int trainBatches = 4, int valBatches = 2) => new()
    {
        MaxEpochs = maxEpochs,
        Accelerator = "cpu",
        LimitTrainBatches = trainBatches,
        LimitValBatches = valBatches,
        EnableProgressBar = false,
        EnableModelSummary = false,
    };

    public static CsvLogger Csv(string dir) => new(new CsvLoggerOptions { SaveDir = dir });

    /// <summary>The rows of <c>metrics.csv</c> (no quoted cells: every value is a number).</summary>
    public static List<Dictionary<string, string>> Rows(CsvLogger csv)
    {
        var lines = File.ReadAllLines(csv.MetricsFile);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(line => header.Zip(line.Split(',')).Where(p => p.Second.Length > 0).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    public static double D(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);
}
