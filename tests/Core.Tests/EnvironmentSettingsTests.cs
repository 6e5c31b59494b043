using Unified.Core.Runtime;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>Unified's environment variables are read strictly (issue 10).</summary>
public sealed class EnvironmentSettingsTests
{
    [Theory]
    [InlineData("banana")]
    [InlineData("2")]
    public void Flag_SetToAnythingButASwitchValue_NamesTheVariableAndTheValues(string value)
    {
        string name = "UNIFIED_TEST_FLAG_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            var e = Assert.Throws<InvalidEnvironmentVariableException>(() => EnvironmentSettings.Flag(name, true));
            Assert.Equal($"{name}='{value}' is not valid; use 1 (on) or 0 (off), or unset it.", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Theory]
    [InlineData("1e99")]
    [InlineData("-3")]
    [InlineData("soon")]
    [InlineData("NaN")]
    public void Seconds_OutOfBounds_NamesTheVariableAndTheBounds(string value)
    {
        string name = "UNIFIED_TEST_SECONDS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            var e = Assert.Throws<InvalidEnvironmentVariableException>(() => EnvironmentSettings.Seconds(name, TimeSpan.FromMinutes(5), TimeSpan.FromDays(30)));
            Assert.Contains($"{name}='{value}' is not valid; use a number of seconds above 0 and at most 2592000 (unset: 300)", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void UnsetOrValidValues_AreRead()
    {
        string name = "UNIFIED_TEST_" + Guid.NewGuid().ToString("N");
        Assert.True(EnvironmentSettings.Flag(name, true));
        Environment.SetEnvironmentVariable(name, "0");
        Assert.False(EnvironmentSettings.Flag(name, true));
        Environment.SetEnvironmentVariable(name, "2.5");
        Assert.Equal(TimeSpan.FromSeconds(2.5), EnvironmentSettings.Seconds(name, TimeSpan.Zero, TimeSpan.FromDays(1)));
        Environment.SetEnvironmentVariable(name, null);
    }
}
