using System.Globalization;
using System.Reflection;
using TorchSharp.Modules;

namespace Unified.Core.Training;

/// <summary>
/// The optimisers' learning rates under the names of Lightning's <c>LearningRateMonitor</c> (callbacks/lr_monitor.py),
/// shared by both front-ends so that they log the same keys: <c>lr-Adam</c>, <c>lr-SGD</c>, <c>lr-Adam-1</c> for a
/// second Adam, <c>lr-Adam/pg1</c> … for several parameter groups.
/// </summary>
public static class LearningRates
{
    /// <summary>Every parameter group of <paramref name="configs"/> with its logged name (Lightning's <c>_find_names_from_schedulers</c>, <c>_add_prefix</c>, <c>_add_suffix</c>).</summary>
    public static IEnumerable<(string Name, OptimizerConfig Config, ParamGroup Group)> Named(IEnumerable<OptimizerConfig> configs, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(configs);
        var seen = new Dictionary<Type, int>();
        // Lightning names the optimisers with a scheduler first, then the others (_find_names_from_schedulers, then
        // _find_names_from_optimizers), so a second Adam without a scheduler is lr-Adam-1 even when it comes first.
        var all = configs.ToList();
        foreach (var config in all.Where(c => c.Scheduler is not null).Concat(all.Where(c => c.Scheduler is null)))
        {
            var type = config.Optimizer.GetType();
            seen[type] = seen.GetValueOrDefault(type) + 1;
            string name = "lr-" + type.Name + (seen[type] > 1 ? "-" + (seen[type] - 1).ToString(CultureInfo.InvariantCulture) : "");
            var groups = config.Optimizer.ParamGroups.OfType<ParamGroup>().ToList();
            for (int i = 0; i < groups.Count; i++)
                yield return (prefix + (groups.Count > 1 ? $"{name}/pg{(i + 1).ToString(CultureInfo.InvariantCulture)}" : name), config, groups[i]);
        }
    }

    /// <summary>
    /// The values to log now: the learning rate of every group (and momentum / weight decay when <paramref name="policy"/>
    /// asks); with <paramref name="interval"/> only the optimisers whose scheduler steps at it, and those without one.
    /// </summary>
    public static Dictionary<string, double> Stats(IEnumerable<OptimizerConfig> configs, SchedulerInterval? interval, LearningRateMonitorPolicy policy, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(policy);
        var stats = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, config, group) in Named(configs, prefix))
        {
            if (interval is { } wanted && config.Scheduler is not null && config.Interval != wanted) continue;
            stats[name] = group.LearningRate;
            if (policy.LogMomentum) stats[name + "-momentum"] = Momentum(group);
            if (policy.LogWeightDecay) stats[name + "-weight_decay"] = OptionValue(group, "weight_decay") ?? 0;
        }
        return stats;
    }

    // Adam-like optimisers have betas (Lightning logs the first), SGD-like ones momentum; others log 0, as Lightning.
    static double Momentum(ParamGroup group) => OptionValue(group, "beta1") ?? OptionValue(group, "momentum") ?? 0;

    static double? OptionValue(ParamGroup group, string name)
    {
        var options = group.Options;
        if (options is null) return null;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance;
        object? value = options.GetType().GetField(name, flags)?.GetValue(options) ?? options.GetType().GetProperty(name, flags)?.GetValue(options);
        return value is null ? null : Convert.ToDouble(value, CultureInfo.InvariantCulture);
    }
}
