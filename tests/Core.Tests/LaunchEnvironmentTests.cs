using Unified.Core.Distributed;
using Xunit;

namespace Unified.Core.Tests;

public sealed class LaunchEnvironmentTests
{
    static LaunchEnvironment Read(params (string Name, string Value)[] variables) =>
        LaunchEnvironment.From(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void From_WithoutOpenMpiVariables_IsRankZeroOfOne() =>
        Assert.Equal(new LaunchEnvironment(0, 0, 1, false), Read());

    [Fact]
    public void From_OpenMpiVariables_ReadsRankLocalRankAndSize() =>
        Assert.Equal(new LaunchEnvironment(3, 1, 4, true, 2),
            Read(("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")));

    [Theory]
    [InlineData("two", "0")]
    [InlineData("2", "-1")]
    [InlineData("2", "2")]
    public void From_InvalidVariables_ThrowsNamingTheVariable(string size, string rank)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(("OMPI_COMM_WORLD_SIZE", size), ("OMPI_COMM_WORLD_RANK", rank)));
        Assert.Contains("OMPI_COMM_WORLD_", error.Message);
    }

    [Fact]
    public void From_SizeWithoutRank_ThrowsSayingHowToLaunch()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(("OMPI_COMM_WORLD_SIZE", "2")));
        Assert.Contains("mpirun", error.Message);
    }
}
