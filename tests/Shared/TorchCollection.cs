using Xunit;

namespace Unified.Testing;

/// <summary>
/// Tests that seed or draw from libtorch's global generator, or change its thread count, run one at a time in this
/// collection: parity depends on nobody else consuming the global RNG in between.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    /// <summary>The collection's name, for <c>[Collection(TorchCollection.Name)]</c>.</summary>
    public const string Name = "Torch";
}
