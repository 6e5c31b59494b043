using System.Globalization;

namespace Unified.Lightning;

/// <summary>
/// How many batches of a loader to run, as Lightning's <c>limit_*_batches</c>, <c>overfit_batches</c> and
/// <c>val_check_interval</c>: a count (an <see cref="int"/>) or a fraction of the loader (a <see cref="double"/> in [0, 1]).
/// </summary>
/// <example><code>new TrainerOptions { LimitTrainBatches = 0.25, LimitValBatches = 10 }</code></example>
public readonly record struct BatchLimit
{
    BatchLimit(int? count, double? fraction) => (Count, Fraction) = (count, fraction);

    /// <summary>The count, or null for a fraction.</summary>
    public int? Count { get; }

    /// <summary>The fraction, or null for a count.</summary>
    public double? Fraction { get; }

    /// <summary>A count of batches.</summary>
    public static implicit operator BatchLimit(int count) => new(count, null);

    /// <summary>A fraction of the loader's batches.</summary>
    public static implicit operator BatchLimit(double fraction) => new(null, fraction);

    /// <summary>Whether it runs no batch (0 or 0.0).</summary>
    public bool IsZero => Count is 0 || Fraction is 0.0;

    /// <summary>Throws when a count is negative or a fraction outside [0, 1] (or a zero where <paramref name="allowZero"/> is false).</summary>
    public void Validate(string name, bool allowZero)
    {
        if (Count is int count && (count < 0 || (!allowZero && count == 0)))
            throw new ArgumentOutOfRangeException(name, count, $"{name} must be a {(allowZero ? "non-negative" : "positive")} count or a fraction in {(allowZero ? "[0" : "(0")}, 1]; got {count}.");
        if (Fraction is double f && !(f <= 1 && (allowZero ? f >= 0 : f > 0)))
            throw new ArgumentOutOfRangeException(name, f, $"{name} must be a fraction in {(allowZero ? "[0" : "(0")}, 1] or a count of batches; got {f.ToString(CultureInfo.InvariantCulture)} (a count is an int: e.g. {name} = 10).");
    }

    /// <summary>
    /// The batches of a loader of <paramref name="total"/> to run: the count, at most <paramref name="total"/>, or
    /// <c>int(total * fraction)</c> (Lightning's <c>_parse_num_batches</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">A non-zero fraction of this loader is less than one batch.</exception>
    public int Of(int total, string name)
    {
        if (Count is int count) return Math.Min(count, total);
        double fraction = Fraction ?? 1.0;
        int batches = (int)(total * fraction);
        if (batches == 0 && fraction > 0 && total > 0)
            throw new InvalidOperationException($"{name} = {fraction.ToString(CultureInfo.InvariantCulture)} of {total} batches is less than one batch; increase {name} or pass a count.");
        return batches;
    }

    /// <inheritdoc />
    public override string ToString() => Count?.ToString(CultureInfo.InvariantCulture) ?? Fraction!.Value.ToString(CultureInfo.InvariantCulture);
}
