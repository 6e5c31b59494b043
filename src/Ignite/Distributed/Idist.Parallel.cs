using Unified.Core.Distributed;

namespace Unified.Ignite.Distributed;

public static partial class Idist
{
    /// <summary>
    /// Ignite's <c>idist.Parallel</c> context manager (ignite/distributed/launcher.py): opens the process group of this
    /// launch (<c>mpirun -np N</c>: the MPI world; started alone: this process) as <see cref="Idist.Group"/>, runs the
    /// training function with the local rank, and closes the group when disposed (collective: every rank disposes it).
    /// Processes are started by <c>mpirun</c> (or <c>unified fit --devices N</c>), not spawned from here.
    /// </summary>
    /// <example><code>
    /// using var parallel = new Idist.Parallel();
    /// parallel.Run(Training, config);   // Training(localRank, config) on every rank
    /// </code></example>
    public sealed class Parallel : IDisposable
    {
        readonly IProcessGroup previous;
        bool disposed;

        /// <summary>Opens the launch's process group.</summary>
        /// <exception cref="InvalidOperationException">Another <see cref="Parallel"/> is open.</exception>
        public Parallel(ProcessGroupOptions? options = null)
        {
            if (Idist.Group is not SingleProcessGroup)
                throw new InvalidOperationException("A Parallel is already open in this process; dispose it before opening another.");
            previous = Idist.Group;
            Group = ProcessGroups.FromEnvironment(options);
            Idist.Group = Group;
        }

        /// <summary>The group this launch runs in.</summary>
        public IProcessGroup Group { get; }

        /// <summary>Calls <paramref name="training"/>(local rank, <paramref name="config"/>), as Ignite's <c>parallel.run</c>.</summary>
        public void Run<TConfig>(Action<int, TConfig> training, TConfig config)
        {
            ArgumentNullException.ThrowIfNull(training);
            ObjectDisposedException.ThrowIf(disposed, this);
            training(Group.LocalRank, config);
        }

        /// <summary>Closes the group (collective) and restores the single-process group.</summary>
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            Idist.Group = previous;
            Group.Dispose();
        }
    }
}
