using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// One batch in label form: binary and multilabel as bool (N) / (N x L), multiclass as int64 class indices (N) clamped
/// into range, with masks of the values that were out of range (none for predictions that cannot be: arg-max of scores) (counted, then reported at compute).
/// </summary>
internal readonly record struct ClassificationInput(Tensor Predicted, Tensor Target, Tensor? BadPredictions, Tensor BadTargets, long Classes);
