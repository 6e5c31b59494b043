using System.Globalization;

namespace Unified.Core.Distributed;

/// <summary>
/// Where this process stands in a launch, read from the variables <c>mpirun</c> sets
/// (<c>OMPI_COMM_WORLD_RANK</c>, <c>OMPI_COMM_WORLD_SIZE</c>, <c>OMPI_COMM_WORLD_LOCAL_RANK</c>); a process started
/// without a launcher is rank 0 of 1.
/// </summary>
/// <param name="Rank">This process's rank.</param>
/// <param name="LocalRank">This process's rank on its machine.</param>
/// <param name="WorldSize">The number of processes.</param>
/// <param name="IsMpiLaunch">Whether Open MPI's launcher started this process.</param>
/// <param name="LocalSize">The number of processes on this machine.</param>
public sealed record LaunchEnvironment(int Rank, int LocalRank, int WorldSize, bool IsMpiLaunch, int LocalSize = 1)
{
    /// <summary>Variable names of Open MPI's launcher.</summary>
    public const string RankVariable = "OMPI_COMM_WORLD_RANK", SizeVariable = "OMPI_COMM_WORLD_SIZE", LocalRankVariable = "OMPI_COMM_WORLD_LOCAL_RANK",
        LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    /// <summary>Reads this process's environment.</summary>
    /// <exception cref="InvalidOperationException">A launcher variable is present but not a valid number.</exception>
    public static LaunchEnvironment Current() => From(Environment.GetEnvironmentVariable);

    /// <summary>Reads the launch from <paramref name="variable"/> (name → value or null).</summary>
    public static LaunchEnvironment From(Func<string, string?> variable)
    {
        string? size = variable(SizeVariable);
        if (size is null) return new LaunchEnvironment(0, 0, 1, false);
        int worldSize = Parse(SizeVariable, size, 1);
        int rank = Parse(RankVariable, variable(RankVariable) ?? throw Missing(RankVariable), 0);
        int localRank = Parse(LocalRankVariable, variable(LocalRankVariable) ?? "0", 0);
        int localSize = Parse(LocalSizeVariable, variable(LocalSizeVariable) ?? worldSize.ToString(CultureInfo.InvariantCulture), 1);
        if (rank >= worldSize)
            throw new InvalidOperationException($"{RankVariable}={rank} is not below {SizeVariable}={worldSize}; the launch environment is inconsistent.");
        return new LaunchEnvironment(rank, localRank, worldSize, true, localSize);
    }

    static int Parse(string name, string value, int minimum) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= minimum
            ? parsed
            : throw new InvalidOperationException($"Environment variable {name}='{value}' is not a whole number ≥ {minimum}; it is set by mpirun and should not be set by hand.");

    static InvalidOperationException Missing(string name) =>
        new($"{SizeVariable} is set but {name} is not; start the processes with mpirun (or unset {SizeVariable}).");
}
