using Unified.Core.Data;

namespace Unified.Samples.Scenarios;

/// <summary>The bundled digits, batch 64, with an optional test split.</summary>
public static class Digits
{
    public static DigitsDataModule Load(double testFraction = 0, InputLayout layout = InputLayout.Flat) =>
        new(new DigitsDataOptions { BatchSize = 64, Seed = 42, TestFraction = testFraction, Layout = layout });
}
