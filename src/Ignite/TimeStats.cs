namespace Unified.Ignite;

/// <summary>
/// Statistics of one kind of time of a profiled run in seconds, as the values of Ignite's
/// <c>BasicTimeProfiler._compute_basic_stats</c>: computed over the non-zero entries; <see cref="Count"/> 0 is Ignite's
/// "not yet triggered", and with one entry only <see cref="Total"/> is meaningful.
/// </summary>
/// <param name="Count">Entries that were timed (non-zero).</param>
/// <param name="Total">Their sum.</param>
/// <param name="Min">The smallest entry.</param>
/// <param name="MinIndex">Its index (iteration or epoch, 0-based, among the timed entries as Ignite).</param>
/// <param name="Max">The largest entry.</param>
/// <param name="MaxIndex">Its index.</param>
/// <param name="Mean">The mean.</param>
/// <param name="Std">The sample standard deviation (torch.std, unbiased).</param>
public sealed record TimeStats(int Count, double Total, double Min, int MinIndex, double Max, int MaxIndex, double Mean, double Std)
{
    /// <summary>The statistics of <paramref name="times"/>' non-zero entries.</summary>
    public static TimeStats Of(IReadOnlyList<double> times)
    {
        ArgumentNullException.ThrowIfNull(times);
        var data = times.Where(t => t > 0).ToArray();
        if (data.Length == 0) return new TimeStats(0, 0, 0, 0, 0, 0, 0, 0);
        double mean = data.Average();
        double std = data.Length > 1 ? Math.Sqrt(data.Sum(t => (t - mean) * (t - mean)) / (data.Length - 1)) : 0;
        int min = Array.IndexOf(data, data.Min()), max = Array.IndexOf(data, data.Max());
        return new TimeStats(data.Length, data.Sum(), data[min], min, data[max], max, mean, std);
    }

    /// <summary>Ignite's print format: <c>total | min/index | max/index | mean | std</c>, or the total alone, or "not yet triggered".</summary>
    public override string ToString() => Count switch
    {
        0 => "not yet triggered",
        1 => Format(Total),
        _ => $"{Format(Total)} | {Format(Min)}/{MinIndex} | {Format(Max)}/{MaxIndex} | {Format(Mean)} | {Format(Std)}",
    };

    static string Format(double seconds) => seconds.ToString("F5", System.Globalization.CultureInfo.InvariantCulture);
}
