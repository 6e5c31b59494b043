using Xunit;

namespace Unified.Tuning.Tests;

/// <summary>The test classes that share one real Redis server (started once, stopped after the last of them).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "redis";
}
