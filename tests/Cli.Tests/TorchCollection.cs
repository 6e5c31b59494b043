using Xunit;
namespace Unified.Cli.Tests;

/// <summary>CLI runs seed libtorch's global generator, so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "Torch";
}
