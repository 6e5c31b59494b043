using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Logging;

/// <summary>Tensor-facing conveniences over <see cref="IExperimentLogger"/> (each reads tensors back: one host sync per value).</summary>
public static class ExperimentLoggerExtensions
{
    /// <summary>Logs scalar tensors (Lightning's <c>log_metrics</c> with tensors); each is read back with <c>.item()</c>.</summary>
    /// <exception cref="ArgumentException">A value is not a scalar (one element).</exception>
    public static void LogMetrics(this IExperimentLogger logger, IReadOnlyDictionary<string, Tensor> metrics, long step)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(metrics);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, tensor) in metrics)
        {
            if (tensor.numel() != 1)
                throw new ArgumentException(
                    $"Metric '{name}' has shape [{string.Join(", ", tensor.shape)}]; only scalars can be logged. Reduce it first (e.g. .mean()) or log a histogram.",
                    nameof(metrics));
            using var scope = NewDisposeScope();
            values[name] = tensor.detach().to_type(ScalarType.Float64).cpu().item<double>();
        }
        logger.LogMetrics(values, step);
    }

    /// <summary>Logs a histogram of every parameter of <paramref name="module"/> as <c>weights/&lt;name&gt;</c> (Ignite's <c>WeightsHistHandler</c>).</summary>
    public static void LogWeightHistograms(this IExperimentLogger logger, nn.Module module, long step, int bins = 64)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, parameter) in module.named_parameters())
            logger.LogHistogram("weights/" + name, HistogramValues.FromTensor(parameter, bins), step);
    }

    /// <summary>
    /// Logs a histogram of every parameter's gradient as <c>gradients/&lt;name&gt;</c> (Ignite's <c>GradsHistHandler</c>);
    /// parameters without a gradient are skipped. Call it where gradients exist (e.g. from <c>StepKernel.BeforeOptimizerStep</c>).
    /// </summary>
    public static void LogGradientHistograms(this IExperimentLogger logger, nn.Module module, long step, int bins = 64)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, parameter) in module.named_parameters())
            if (parameter.grad is { } grad)
                logger.LogHistogram("gradients/" + name, HistogramValues.FromTensor(grad, bins), step);
    }
}
