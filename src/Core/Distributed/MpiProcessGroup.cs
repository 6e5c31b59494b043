using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// The process group of an Open MPI launch (<c>mpirun -np N</c>, one machine or a <c>--hostfile</c> of many), over a
/// thin binding of <c>libmpi.so.40</c>. Collectives work in place on the tensors' memory. MPI's collectives have no
/// timeout, so every one here is started non-blocking and polled against <see cref="Timeout"/>; after a timeout the
/// group is unusable (MPI cannot cancel a collective) and the run should end (<see cref="Abort"/>).
/// </summary>
/// <remarks>
/// MPI is initialised once per process and cannot be initialised again after it is finalised, so there is one
/// instance per process: <see cref="World"/>. <see cref="Dispose"/> is collective (every rank calls it) and finalises
/// MPI; a process that never disposes it finalises at exit when it exits with 0 and no collective is in flight.
/// </remarks>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    static readonly object InitGate = new();
    static MpiProcessGroup? world;
    static bool finalized;

    readonly object gate = new();
    int inFlight;
    string? fault;
    bool disposed;

    MpiProcessGroup(int rank, int localRank, int worldSize, TimeSpan timeout)
    {
        (Rank, LocalRank, WorldSize, Timeout) = (rank, localRank, worldSize, timeout);
    }

    /// <summary>
    /// Initialises MPI (once per process) and returns the group of all processes (<c>MPI_COMM_WORLD</c>); later calls
    /// return the same instance, taking the timeout of <paramref name="options"/> when given.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalised in this process, or failed to start.</exception>
    public static MpiProcessGroup World(ProcessGroupOptions? options = null)
    {
        options?.Validate();
        lock (InitGate)
        {
            if (world is { disposed: false })
            {
                if (options is not null) world.Timeout = options.Timeout;
                return world;
            }
            if (finalized)
                throw new InvalidOperationException("MPI was finalized in this process and cannot be initialised again; create the process group once per process and dispose it at exit.");
            MpiNative.Load();
            int initialized = 0, provided = 0;
            MpiNative.Check(MpiNative.Initialized(&initialized), "MPI_Initialized");
            // Serialized is enough (calls are serialised here); Open MPI grants Multiple, which also allows Abort from a signal thread.
            if (initialized == 0) MpiNative.Check(MpiNative.InitThread(0, 0, MpiNative.ThreadMultiple, &provided), "MPI_Init_thread");
            MpiNative.Check(MpiNative.CommSetErrhandler(MpiNative.CommWorld, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
            int rank = 0, size = 0;
            MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
            MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
            var launch = LaunchEnvironment.Current();
            world = new MpiProcessGroup(rank, launch.IsMpiLaunch ? launch.LocalRank : 0, size, (options ?? new ProcessGroupOptions()).Timeout);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => world?.FinalizeAtExit();
            return world;
        }
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int LocalRank { get; }

    /// <inheritdoc />
    public int WorldSize { get; }

    /// <inheritdoc />
    public TimeSpan Timeout { get; set; }

    /// <summary>Why the group is unusable (a collective timed out or failed), or null while it is healthy.</summary>
    public string? Fault => fault;

    /// <inheritdoc />
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => StartAllReduce(tensor, op).Wait();

    /// <inheritdoc />
    public ICollectiveWork StartAllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string what = $"all_reduce({op.ToString().ToLowerInvariant()}) of {tensor.numel()} {tensor.dtype} elements";
        nint type = ReductionType(tensor.dtype, op);
        nint mpiOp = op switch
        {
            ReduceOp.Sum or ReduceOp.Mean => MpiNative.OpSum,
            ReduceOp.Max => MpiNative.OpMax,
            ReduceOp.Min => MpiNative.OpMin,
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduce operation."),
        };
        var (buffer, staged) = Stage(tensor);
        long elements = buffer.numel(), elementSize = buffer.ElementSize;
        var requests = Start(what, elements, chunk => (offset, count) =>
        {
            nint request = 0;
            MpiNative.Check(MpiNative.Iallreduce(MpiNative.InPlace, chunk + (nint)(offset * elementSize), count, type, mpiOp, MpiNative.CommWorld, &request), "MPI_Iallreduce");
            return request;
        }, buffer);
        return new MpiWork(this, what, requests, () =>
        {
            using var noGrad = no_grad();
            if (op == ReduceOp.Mean) buffer.div_(WorldSize);
            Unstage(tensor, buffer, staged);
        });
    }

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), root, $"Root must be a rank in 0..{WorldSize - 1}.");
        string what = $"broadcast from rank {root} of {tensor.numel()} {tensor.dtype} elements";
        var (buffer, staged) = Stage(tensor);
        // Bytes: a broadcast copies bits, so every dtype (bfloat16, float16, bool, …) works.
        var requests = Start(what, buffer.numel() * buffer.ElementSize, start => (offset, count) =>
        {
            nint request = 0;
            MpiNative.Check(MpiNative.Ibcast(start + (nint)offset, count, MpiNative.UInt8, root, MpiNative.CommWorld, &request), "MPI_Ibcast");
            return request;
        }, buffer);
        new MpiWork(this, what, requests, () => Unstage(tensor, buffer, staged)).Wait();
    }

    /// <inheritdoc />
    public Tensor AllGather(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string what = $"all_gather of {tensor.numel()} {tensor.dtype} elements";
        var (buffer, staged) = Stage(tensor);
        long bytes = buffer.numel() * buffer.ElementSize;
        if (bytes > int.MaxValue)
            throw new ArgumentException($"{what}: {bytes} bytes per rank exceed MPI's limit of {int.MaxValue}; gather smaller pieces.", nameof(tensor));
        var gathered = empty([WorldSize, .. buffer.shape], buffer.dtype);
        try
        {
            nint send = TensorMemory.DataPointer(buffer), receive = TensorMemory.DataPointer(gathered);
            var requests = Start(what, 1, _ => (_, _) =>
            {
                nint request = 0;
                MpiNative.Check(MpiNative.Iallgather(send, (int)bytes, MpiNative.UInt8, receive, (int)bytes, MpiNative.UInt8, MpiNative.CommWorld, &request), "MPI_Iallgather");
                return request;
            }, buffer);
            new MpiWork(this, what, requests, () => { if (staged) buffer.Dispose(); }).Wait();
            if (tensor.device_type == TorchSharp.DeviceType.CPU) return gathered;
            using (gathered) return gathered.to(tensor.device);
        }
        catch
        {
            gathered.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Barrier()
    {
        var requests = Start("barrier", 1, _ => (_, _) =>
        {
            nint request = 0;
            MpiNative.Check(MpiNative.Ibarrier(MpiNative.CommWorld, &request), "MPI_Ibarrier");
            return request;
        }, null);
        new MpiWork(this, "barrier", requests, null).Wait();
    }

    /// <summary>Ends every rank of the launch now with <paramref name="exitCode"/> (<c>MPI_Abort</c>; mpirun stops the others).</summary>
    [DoesNotReturn]
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        fault ??= "aborted";
        MpiNative.Abort(MpiNative.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a launch that ignores it
    }

    /// <summary>Finalises MPI after every rank has arrived (collective: call it on every rank). Idempotent.</summary>
    /// <exception cref="TimeoutException">Another rank did not arrive; MPI is then left unfinalised.</exception>
    public void Dispose()
    {
        lock (InitGate)
        {
            if (disposed) return;
            try
            {
                if (fault is null) Barrier();
            }
            finally
            {
                disposed = true;
            }
            if (fault is not null) return;
            lock (gate) MpiNative.Check(MpiNative.Finalize(), "MPI_Finalize");
            finalized = true;
        }
    }

    void FinalizeAtExit()
    {
        lock (InitGate)
        {
            // Finalising waits for every rank: skip it when a collective is stuck, the group failed or the process
            // fails (mpirun then sees the non-zero exit and ends the other ranks).
            if (disposed || fault is not null || Volatile.Read(ref inFlight) > 0 || Environment.ExitCode != 0) return;
            disposed = true;
            lock (gate) MpiNative.Finalize();
            finalized = true;
        }
    }

    /// <summary>Starts one MPI request per chunk of at most <see cref="int.MaxValue"/> elements (MPI counts are ints).</summary>
    nint[] Start(string what, long elements, Func<nint, Func<long, int, nint>> starter, Tensor? buffer)
    {
        ThrowIfUnusable(what);
        nint start = buffer is null ? 0 : TensorMemory.DataPointer(buffer);
        var post = starter(start);
        var requests = new List<nint>();
        lock (gate)
        {
            for (long offset = 0; offset < elements || requests.Count == 0; offset += int.MaxValue)
                requests.Add(post(offset, (int)Math.Min(int.MaxValue, elements - offset)));
            Interlocked.Increment(ref inFlight);
        }
        return [.. requests];
    }

    internal bool Test(nint[] requests)
    {
        lock (gate)
        {
            for (int i = 0; i < requests.Length; i++)
            {
                if (requests[i] == 0) continue;
                int done = 0, code;
                fixed (nint* request = &requests[i]) code = MpiNative.Test(request, &done, 0);
                if (code != MpiNative.Success)
                {
                    string message = $"MPI_Test failed on rank {Rank} with MPI error {code}: {MpiNative.Describe(code)} (another rank may have died)";
                    fault ??= message;
                    throw new InvalidOperationException(message);
                }
                if (done == 0) return false;
            }
            return true;
        }
    }

    internal void Completed() => Interlocked.Decrement(ref inFlight);

    internal TimeoutException TimedOut(string what)
    {
        string message = $"MPI {what} on rank {Rank} of {WorldSize} did not complete within {Timeout.TotalSeconds:0.###} s: another rank did not join it. "
            + "Check that every rank is still running (another rank's output names its failure), that all ranks run the same number of steps "
            + $"(shard the data with DistributedSampler), and that they call the same collectives in the same order. Raise the limit with "
            + $"ProcessGroupOptions.Timeout or {ProcessGroupOptions.TimeoutVariable}=SECONDS.";
        fault ??= message;
        return new TimeoutException(message);
    }

    void ThrowIfUnusable(string what)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (fault is not null)
            throw new InvalidOperationException($"Cannot run MPI {what}: the process group failed earlier ({fault}).");
    }

    static nint ReductionType(ScalarType dtype, ReduceOp op)
    {
        if (op == ReduceOp.Mean && dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"A mean all-reduce needs a float32 or float64 tensor, not {dtype}; use ReduceOp.Sum and divide, or convert with .to_type(ScalarType.Float32).");
        return dtype switch
        {
            ScalarType.Float32 => MpiNative.Float32,
            ScalarType.Float64 => MpiNative.Float64,
            ScalarType.Int64 => MpiNative.Int64,
            ScalarType.Int32 => MpiNative.Int32,
            ScalarType.Int16 => MpiNative.Int16,
            ScalarType.Int8 => MpiNative.Int8,
            ScalarType.Byte => MpiNative.UInt8,
            _ => throw new ArgumentException(
                $"MPI cannot all-reduce {dtype} tensors (supported: Float32, Float64, Int64, Int32, Int16, Int8, Byte). "
                + "Convert first, e.g. tensor.to_type(ScalarType.Float32), and convert the result back; broadcast and all-gather accept every dtype."),
        };
    }

    // MPI needs dense CPU memory: other tensors go through a CPU copy that is written back afterwards.
    static (Tensor Buffer, bool Staged) Stage(Tensor tensor)
    {
        if (tensor.device_type == TorchSharp.DeviceType.CPU && tensor.is_contiguous()) return (tensor, false);
        using var noGrad = no_grad();
        return (tensor.detach().cpu().contiguous().clone().DetachFromDisposeScope(), true);
    }

    static void Unstage(Tensor tensor, Tensor buffer, bool staged)
    {
        if (!staged) return;
        using var noGrad = no_grad();
        tensor.copy_(buffer);
        buffer.Dispose();
    }

    /// <summary>One started MPI collective: polled with <c>MPI_Test</c> until done or past the group's timeout.</summary>
    sealed class MpiWork(MpiProcessGroup group, string what, nint[] requests, Action? complete) : ICollectiveWork
    {
        bool finished;

        public bool Poll() => finished || group.Test(requests);

        public void Wait()
        {
            if (finished) return;
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int round = 0; !group.Test(requests); round++)
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
                if (group.Timeout != System.Threading.Timeout.InfiniteTimeSpan && elapsed > group.Timeout) throw group.TimedOut(what);
                // Spin briefly (small collectives finish in microseconds), then give the core to the other ranks.
                if (round < 200) Thread.SpinWait(30);
                else if (elapsed < TimeSpan.FromMilliseconds(20)) Thread.Yield();
                else Thread.Sleep(1);
            }
            finished = true;
            group.Completed();
            complete?.Invoke();
        }
    }
}
