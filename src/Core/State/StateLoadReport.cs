namespace Unified.Core.State;

/// <summary>What a non-strict load did, as PyTorch's <c>load_state_dict(strict=False)</c> returns.</summary>
/// <param name="LoadedKeys">Keys copied into the model.</param>
/// <param name="MissingKeys">Model keys the state did not have (left as they were).</param>
/// <param name="UnexpectedKeys">State keys the model does not have (ignored).</param>
/// <param name="ConvertedKeys">Keys whose dtype differed and were converted to the model's.</param>
public sealed record StateLoadReport(IReadOnlyList<string> LoadedKeys, IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys, IReadOnlyList<string> ConvertedKeys);
