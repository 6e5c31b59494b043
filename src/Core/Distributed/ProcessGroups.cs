namespace Unified.Core.Distributed;

/// <summary>Creates the process group a launch implies (PyTorch's <c>init_process_group</c> with the <c>env://</c> method).</summary>
public static class ProcessGroups
{
    /// <summary>
    /// The group of this launch: <see cref="SingleProcessGroup"/> for a process started alone (or by
    /// <c>mpirun -np 1</c>; MPI is not touched), otherwise <see cref="MpiProcessGroup.World"/>. Disposing the result is
    /// collective (every rank does it) and finalises MPI.
    /// </summary>
    /// <example><code>using var group = ProcessGroups.FromEnvironment(); Console.WriteLine($"rank {group.Rank} of {group.WorldSize}");</code></example>
    /// <exception cref="InvalidOperationException">MPI's view of the launch disagrees with the launcher's variables.</exception>
    public static IProcessGroup FromEnvironment(ProcessGroupOptions? options = null)
    {
        var launch = LaunchEnvironment.Current();
        if (launch.WorldSize == 1) return SingleProcessGroup.Instance;
        var group = MpiProcessGroup.World(options);
        if (group.WorldSize != launch.WorldSize || group.Rank != launch.Rank)
            throw new InvalidOperationException(
                $"MPI reports rank {group.Rank} of {group.WorldSize}, but {LaunchEnvironment.RankVariable}={launch.Rank} and {LaunchEnvironment.SizeVariable}={launch.WorldSize}. "
                + "The process was started by a different MPI than the libmpi.so.40 it loaded; use the mpirun of the same Open MPI installation.");
        return group;
    }
}
