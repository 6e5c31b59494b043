namespace Unified.Tuning.Samplers;

/// <summary>
/// The continuous box a distribution maps to and back (Optuna's <c>_SearchSpaceTransform</c>): log ranges in log
/// space, grids widened by half a step on each side so that every grid point gets an equal share.
/// </summary>
internal static class SearchSpace
{
    /// <summary>The transformed bounds of a numerical distribution.</summary>
    public static (double Low, double High) Bounds(ParameterDistribution distribution) => distribution switch
    {
        FloatDistribution { Log: true } f => (Math.Log(f.Low), Math.Log(f.High)),
        FloatDistribution { Step: { } step } f => (f.Low - 0.5 * step, f.High + 0.5 * step),
        FloatDistribution f => (f.Low, f.High),
        IntDistribution { Log: true } i => (Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5)),
        IntDistribution i => (i.Low - 0.5 * i.Step, i.High + 0.5 * i.Step),
        _ => throw new ArgumentException($"{distribution} is not numerical."),
    };

    /// <summary>The internal value for a point of the transformed box: back from log space, onto the grid, into the range.</summary>
    public static double Untransform(ParameterDistribution distribution, double x) => distribution switch
    {
        FloatDistribution { Log: true } f => Math.Clamp(Math.Exp(x), f.Low, f.High),
        FloatDistribution { Step: { } step } f => Math.Clamp(f.Low + Math.Round((x - f.Low) / step) * step, f.Low, f.High),
        FloatDistribution f => Math.Clamp(x, f.Low, f.High),
        IntDistribution { Log: true } i => Math.Clamp(Math.Round(Math.Exp(x)), i.Low, i.High),
        IntDistribution i => Math.Clamp(i.Low + Math.Round((x - i.Low) / i.Step) * i.Step, i.Low, i.High),
        _ => throw new ArgumentException($"{distribution} is not numerical."),
    };
}
