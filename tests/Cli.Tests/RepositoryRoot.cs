namespace Unified.Cli.Tests;

/// <summary>The repository's root folder (the one holding Unified.sln), found from the test's output folder.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Unified.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Unified.sln above {AppContext.BaseDirectory}.");
    }
}
