using System.Runtime.InteropServices;
using System.Text;

namespace Unified.Core.Distributed;

/// <summary>
/// A thin binding of Open MPI's C API (<c>libmpi.so.40</c>). Open MPI's handles are addresses of exported globals
/// (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), so they come from the library's exports; MPI.NET assumes
/// Microsoft MPI's integer handles and crashes here. Functions are unmanaged function pointers: no marshalling on the
/// hot path.
/// </summary>
internal static unsafe class MpiNative
{
    public const int Success = 0;
    public const int ThreadSerialized = 2, ThreadMultiple = 3;

    /// <summary>Open MPI's <c>MPI_IN_PLACE</c>.</summary>
    public static readonly nint InPlace = 1;

    static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"];
    static readonly object Gate = new();
    static nint library;

    public static nint CommWorld, OpSum, OpMax, OpMin, ErrorsReturn;
    public static nint Float32, Float64, Int64, Int32, Int16, Int8, UInt8, UInt16;

    public static delegate* unmanaged<int*, int> Initialized;
    public static delegate* unmanaged<int*, int> Finalized;
    public static delegate* unmanaged<nint, nint, int, int*, int> InitThread;
    public static delegate* unmanaged<int> Finalize;
    public static delegate* unmanaged<nint, int*, int> CommRank;
    public static delegate* unmanaged<nint, int*, int> CommSize;
    public static delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public static delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int> Iallreduce;
    public static delegate* unmanaged<nint, int, nint, int, nint, nint*, int> Ibcast;
    public static delegate* unmanaged<nint, int, nint, nint, int, nint, nint, nint*, int> Iallgather;
    public static delegate* unmanaged<nint, nint*, int> Ibarrier;
    public static delegate* unmanaged<nint*, int*, nint, int> Test;
    public static delegate* unmanaged<nint, int, int> Abort;
    public static delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>Whether Open MPI's library could be loaded (without initialising MPI).</summary>
    public static bool TryLoad(out string error)
    {
        lock (Gate)
        {
            error = "";
            if (library != 0) return true;
            var failures = new List<string>();
            foreach (string name in Candidates)
            {
                // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve symbols of libmpi itself.
                nint handle = OperatingSystem.IsLinux() ? dlopen(name, RtldNow | RtldGlobal) : 0;
                if (handle == 0 && !NativeLibrary.TryLoad(name, out handle))
                {
                    failures.Add(name);
                    continue;
                }
                library = handle;
                Bind();
                return true;
            }
            error = $"Open MPI's library was not found (tried {string.Join(", ", failures)}). Install Open MPI "
                + "(Debian/Ubuntu: 'apt-get install openmpi-bin libopenmpi-dev'), or run with one process.";
            return false;
        }
    }

    /// <summary>Loads the library or throws the reason.</summary>
    public static void Load()
    {
        if (!TryLoad(out string error)) throw new DllNotFoundException(error);
    }

    /// <summary>Throws an <see cref="InvalidOperationException"/> naming <paramref name="call"/> and MPI's message for a non-zero code.</summary>
    public static void Check(int code, string call)
    {
        if (code != Success) throw new InvalidOperationException($"{call} failed with MPI error {code}: {Describe(code)}");
    }

    public static string Describe(int code)
    {
        if (ErrorString == null) return "(no description)";
        byte* text = stackalloc byte[256]; // MPI_MAX_ERROR_STRING
        int length = 0;
        return ErrorString(code, text, &length) == Success ? Encoding.ASCII.GetString(text, Math.Clamp(length, 0, 256)) : "(no description)";
    }

    static void Bind()
    {
        CommWorld = Export("ompi_mpi_comm_world");
        OpSum = Export("ompi_mpi_op_sum");
        OpMax = Export("ompi_mpi_op_max");
        OpMin = Export("ompi_mpi_op_min");
        ErrorsReturn = Export("ompi_mpi_errors_return");
        Float32 = Export("ompi_mpi_float");
        Float64 = Export("ompi_mpi_double");
        Int64 = Export("ompi_mpi_int64_t");
        Int32 = Export("ompi_mpi_int32_t");
        Int16 = Export("ompi_mpi_int16_t");
        Int8 = Export("ompi_mpi_int8_t");
        UInt8 = Export("ompi_mpi_uint8_t");
        UInt16 = Export("ompi_mpi_uint16_t");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        InitThread = (delegate* unmanaged<nint, nint, int, int*, int>)Export("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Export("MPI_Comm_set_errhandler");
        Iallreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
        Ibcast = (delegate* unmanaged<nint, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        Iallgather = (delegate* unmanaged<nint, int, nint, nint, int, nint, nint, nint*, int>)Export("MPI_Iallgather");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, nint, int>)Export("MPI_Test");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
    }

    static nint Export(string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"Open MPI's library lacks '{name}'; Unified needs Open MPI 4 or later (libmpi.so.40).");

    const int RtldNow = 2, RtldGlobal = 0x100;

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern nint dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);
}
