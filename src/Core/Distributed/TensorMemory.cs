using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// The address of a tensor's first element, including a view's storage offset, from LibTorchSharp's exported
/// <c>THSTensor_data</c> (TorchSharp's <c>storage&lt;T&gt;().data_ptr()</c> ignores the offset).
/// </summary>
internal static unsafe class TensorMemory
{
    static readonly object Gate = new();
    static delegate* unmanaged<nint, nint> data;

    /// <summary>The data pointer of <paramref name="tensor"/> (CPU memory; the tensor must stay alive while it is used).</summary>
    public static nint DataPointer(Tensor tensor)
    {
        if (data == null) Bind();
        nint pointer = data(tensor.Handle);
        if (pointer == 0 && tensor.numel() > 0)
            throw new InvalidOperationException($"LibTorchSharp returned no data pointer for a tensor of shape [{string.Join(", ", tensor.shape)}].");
        return pointer;
    }

    /// <summary>
    /// The value of a one-element float32 or float64 CPU tensor, read in place: one call into LibTorchSharp, where
    /// <c>item&lt;T&gt;()</c> builds a tensor accessor (shape and stride arrays) for every read.
    /// </summary>
    public static double ReadScalar(Tensor tensor) =>
        tensor.dtype == ScalarType.Float32 ? *(float*)DataPointer(tensor) : *(double*)DataPointer(tensor);

    static void Bind()
    {
        lock (Gate)
        {
            if (data != null) return;
            Runtime.TorchRuntime.EnsureNativeLoaded();
            nint library = Loaded();
            if (library == 0 || !NativeLibrary.TryGetExport(library, "THSTensor_data", out nint export))
                throw new EntryPointNotFoundException("LibTorchSharp's 'THSTensor_data' export was not found; Unified's collectives need TorchSharp 0.107 or later.");
            data = (delegate* unmanaged<nint, nint>)export;
        }
    }

    // The library TorchSharp already loaded: by soname where dlopen supports it, else by TorchSharp's own probing.
    static nint Loaded()
    {
        if (OperatingSystem.IsLinux())
        {
            nint handle = dlopen("libLibTorchSharp.so", RtldNow | RtldNoLoad);
            if (handle != 0) return handle;
        }
        return NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out nint loaded) ? loaded : 0;
    }

    const int RtldNow = 2, RtldNoLoad = 4;

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern nint dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);
}
