using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Unified.Core.Accelerators;

/// <summary>Memory that libtorch caches on a device.</summary>
public static class DeviceMemory
{
    // c10::cuda::CUDACachingAllocator::emptyCache(), exported by libtorch builds that do not inline it.
    static readonly string[] EmptyCacheSymbols = ["_ZN3c104cuda20CUDACachingAllocator10emptyCacheEv"];
    static readonly Lazy<Action?> EmptyCache = new(FindEmptyCache);
    static bool warned;

    /// <summary>
    /// Returns cached, unused blocks to the device (PyTorch's <c>torch.cuda.empty_cache()</c>); a no-op on CPU, where
    /// freed tensors go straight back to malloc. Tensors awaiting finalisation are freed first. Returns whether
    /// libtorch's cache was emptied.
    /// </summary>
    public static bool ReleaseCachedMemory(Device device)
    {
        if (device.type != TorchSharp.DeviceType.CUDA) return false;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (EmptyCache.Value is { } emptyCache)
        {
            emptyCache();
            return true;
        }
        if (!warned)
        {
            warned = true;
            Diagnostics.Warnings.Warn("This libtorch build exports no CUDA emptyCache entry point (TorchSharp 0.107 has no torch.cuda.empty_cache): " +
                "unreferenced tensors were freed into libtorch's cache, which keeps the blocks for reuse.");
        }
        return false;
    }

    static unsafe Action? FindEmptyCache()
    {
        if (!NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "c10_cuda.dll" : "libc10_cuda.so", typeof(DeviceMemory).Assembly, null, out var library)) return null;
        foreach (string symbol in EmptyCacheSymbols)
            if (NativeLibrary.TryGetExport(library, symbol, out var address))
                return () => ((delegate* unmanaged<void>)address)();
        return null;
    }
}
