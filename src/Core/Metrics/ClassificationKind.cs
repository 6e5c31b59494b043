namespace Unified.Core.Metrics;

/// <summary>The kind of classification problem a metric scores (torchmetrics' <c>task</c>).</summary>
public enum ClassificationKind
{
    /// <summary>One yes/no decision per sample: probabilities or 0/1 labels against 0/1 targets.</summary>
    Binary,
    /// <summary>One of C classes per sample: N x C scores (or N labels) against N class indices.</summary>
    Multiclass,
    /// <summary>L independent yes/no labels per sample: N x L probabilities (or 0/1) against N x L 0/1 targets.</summary>
    Multilabel,
}
